# The scoring service: docker build -t storyfilter . && docker run -p 8000:8000 storyfilter
# Settings are STORYFILTER_* variables (README, "Scoring service"); one worker per core.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY classifier classifier
COPY training training
COPY serving serving
COPY artifacts artifacts
RUN pip install --no-cache-dir ".[serve]"
ENV STORYFILTER_HOST=0.0.0.0 STORYFILTER_PORT=8000
EXPOSE 8000
USER nobody
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["storyfilter", "serve"]
