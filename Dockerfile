# newscrawl as a container: the project installed, the crawl as entrypoint, its state and
# outputs on volumes. Build and run (a sites file mounted, one job named):
#   docker build -t newscrawl .
#   docker run --rm -v newscrawl-data:/srv/newscrawl/data -v "$PWD/out:/srv/newscrawl/out" \
#     -v "$PWD/sites.toml:/srv/newscrawl/sites.toml:ro" newscrawl -a sites=sites.toml -a job=hourly
# The exit status is the crawl's (0 healthy, 3 unhealthy, 2 refused, 75 state locked).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    NEWSCRAWL_CACHE_DIR=/srv/newscrawl/data/cache

RUN useradd --system --create-home --home-dir /srv/newscrawl newscrawl
WORKDIR /srv/newscrawl

COPY pyproject.toml README.md scrapy.cfg ./
COPY crawler ./crawler
COPY spiders ./spiders
COPY pipelines ./pipelines
RUN pip install '.[parquet]' \
    && mkdir -p data out logs \
    && chown -R newscrawl:newscrawl /srv/newscrawl

USER newscrawl
# data/: the crawl state, job histories and latest.json (back them up); out/: the deliveries.
VOLUME ["/srv/newscrawl/data", "/srv/newscrawl/out"]
ENTRYPOINT ["scrapy", "crawl", "news"]
CMD []
