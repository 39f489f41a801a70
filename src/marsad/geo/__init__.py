"""Places: the offline gazetteer, the geoparser spaCy component and event locations."""
