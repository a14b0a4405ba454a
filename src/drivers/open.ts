// Opens a worker's half of a driver by name inside the worker thread. The one place that knows
// every driver.

import { TsvsError } from '../errors.js';
import type { DriverInit, PortDriver } from './driver.js';
import { AFPACKET_DRIVER, type AfPacketDriverInit, AfPacketPortDriver } from './afpacket-port-driver.js';
import { MEMORY_DRIVER, type MemoryDriverInit, MemoryPortDriver } from './memory-rings.js';

export function openWorkerDriver(init: DriverInit): PortDriver {
  switch (init.driver) {
    case MEMORY_DRIVER:
      return new MemoryPortDriver(init as MemoryDriverInit);
    case AFPACKET_DRIVER:
      return new AfPacketPortDriver(init as AfPacketDriverInit);
    default:
      throw new TsvsError('TSVS_ERR_CONFIG', `unknown driver '${init.driver}' (available: ${MEMORY_DRIVER}, ${AFPACKET_DRIVER})`);
  }
}
