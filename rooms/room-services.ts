/**
 * Colyseus constructs rooms itself (and may do so because another process
 * asked), so services cannot be passed through room options, which travel as
 * JSON. The composition root provides them here once per process.
 */
import type { Logger } from "../src/logger.js";
import type { AccountsService } from "../src/services/accounts-service.js";
import type { Metrics } from "../src/services/metrics.js";

export interface RoomServices {
  logger: Logger;
  accounts: AccountsService;
  metrics: Metrics;
}

let provided: RoomServices | undefined;

export function provideRoomServices(services: RoomServices): void {
  provided = services;
}

export function roomServices(): RoomServices {
  if (!provided) throw new Error("Room services were not provided before the first room was created.");
  return provided;
}
