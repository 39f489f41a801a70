"""Text classifiers: the ACLED event type / sub-event type of short conflict texts."""
from .acled import Prediction, classify, load_model

__all__ = ["Prediction", "classify", "load_model"]
