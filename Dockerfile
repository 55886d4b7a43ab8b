# One image for ingest and processor; docker-compose.yml picks the command.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# package.json overrides point chdb's unpublished platform libraries here.
COPY scripts/npm ./scripts/npm
RUN npm ci --omit=dev --no-audit --no-fund
COPY lib ./lib
COPY schemas ./schemas
COPY ingest ./ingest
COPY processors ./processors
COPY admin ./admin
COPY cli ./cli
COPY audits ./audits
COPY tsconfig.json ./
# DATA_DIR holds generated local secrets (admin token) even with a ClickHouse server.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
CMD ["npm", "run", "ingest"]
