"""Settings of the mixed-load benchmark's server: config.settings as the production
environment makes them (DEBUG off, HTTPS behind a proxy, secure cookies, HSTS, the Redis
cache, every middleware; bench/_load_site.py sets that environment), plus one URL,
`/bench/floor/` (bench/_load_urls.py)."""

from config.settings import *  # noqa: F403 (the production settings, as they are)

ROOT_URLCONF = "_load_urls"
