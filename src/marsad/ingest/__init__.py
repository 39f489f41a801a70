"""Reading articles: files and stdin (readers), feeds and pages over HTTP (feeds, fetch, watch), language (lang)."""

FEEDS_HELP = """\
FEEDS.yaml lists what to poll:

  interval: 900            # seconds between rounds (--interval overrides; default 900)
  state: watch-state.json  # where ETags, Last-Modified and seen entries are kept
                           # (default: watch-state.json in the data dir; relative to the YAML file)
  user_agent: "marsad/0.1.0 (+https://example.org/contact)"   # optional
  fetch:                   # optional limits (defaults shown)
    timeout: 20            #   seconds to connect / between two chunks
    total_timeout: 60      #   seconds for a whole response
    max_bytes: 5000000     #   largest response read
    retries: 3             #   more tries after a timeout, network error, 429 or 5xx ...
    backoff: 1.0           #   ... after 1 s, 2 s, 4 s (doubling, at most max_backoff: 30)
    delay: 1.0             #   seconds between two requests to the same host (robots.txt Crawl-delay wins
                           #   if longer)
    max_redirects: 5
    robots: true           #   respect robots.txt
  feeds:
    - url: https://example.org/world/rss.xml
      name: Example World  # source name stored with the articles (default: the feed's title)
      fetch_pages: true    # fetch each entry's link for the full article (default); false: the feed's text
      language: en         # optional: the feed's language (default: detected for each article)
    - https://example.net/atom.xml          # a bare URL is fine too
  pages:                   # optional: single article URLs, ingested once
    - https://example.org/2025/06/16/story.html
"""
