# The SUMO Live Chat signup site: docker build -t sumo-livechat . && docker run -p 8000:8000 ...
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 SUMO_BIND=0.0.0.0:8000
WORKDIR /srv/sumo

COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

COPY app.py gunicorn.conf.py ./
COPY sumo_sheets ./sumo_sheets
COPY templates ./templates
COPY static ./static

# Runs as an unprivileged user; instance/ (workbook, reminder state) is a volume.
RUN useradd --create-home --uid 10001 sumo && mkdir -p instance && chown sumo instance
USER sumo
VOLUME ["/srv/sumo/instance"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"
CMD ["gunicorn", "-c", "gunicorn.conf.py", "app:app"]
