# One image for every role: SERVICES=<api,coordinator,registry,inference | trainer | …>.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json moleculer.config.ts ./
COPY bin ./bin
COPY lib ./lib
COPY services ./services
COPY bench ./bench
COPY public ./public
COPY data ./data
RUN npm run build && npm prune --omit=dev \
 && mkdir -p /var/lib/quorum && chown node:node /var/lib/quorum
ENV NODE_ENV=production \
    STATE_DIR=/var/lib/quorum \
    DATA_DIR=/app/data \
    HOST=0.0.0.0
USER node
EXPOSE 3000
CMD ["node", "dist/bin/quorum.js"]
