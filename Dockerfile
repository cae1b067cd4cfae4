# The server image used by docker-compose.yml. The project's own tests do not use Docker.
FROM node:24-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
ENV NODE_ENV=production PORT=2567
EXPOSE 2567
CMD ["npm", "start"]
