# One image for ingest, processor and migrate; docker-compose.yml picks the command.
# Built on Node 24 LTS; runs the compiled JavaScript (npm run build), not TypeScript through tsx.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# package.json overrides point chdb's unpublished platform libraries here.
COPY scripts/npm ./scripts/npm
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.sh ./scripts/build.sh
COPY lib ./lib
COPY schemas ./schemas
COPY pipeline ./pipeline
COPY ingest ./ingest
COPY processors ./processors
COPY admin ./admin
COPY sqldoor ./sqldoor
COPY audits ./audits
COPY maintenance ./maintenance
COPY ledger ./ledger
COPY erasure ./erasure
COPY cli ./cli
RUN bash scripts/build.sh dist

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY scripts/npm ./scripts/npm
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
# DATA_DIR holds generated local secrets (admin token) even with a ClickHouse server.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
CMD ["node", "dist/cli/ingest.js"]
