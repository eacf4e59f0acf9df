FROM python:3.11-slim
WORKDIR /srv/homeward
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml constraints.txt README.md alembic.ini ./
COPY app ./app
COPY ingest ./ingest
COPY dashboards ./dashboards
COPY models ./models
COPY sample_data ./sample_data
COPY alembic ./alembic
RUN pip install --no-cache-dir -c constraints.txt . && useradd --create-home homeward && mkdir -p /var/homeward && chown homeward /var/homeward
USER homeward
EXPOSE 8050
CMD ["homeward", "serve", "--host", "0.0.0.0", "--port", "8050", "--workers", "4"]
