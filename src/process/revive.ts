/**
 * `revive`: makes sabkit objects received from another thread live again.
 * It knows every kind of sabkit object, so each is imported here for its
 * registration, whichever entrypoint the user took `revive` from.
 *
 * @module
 */

import "../lock/lock.ts";
import "../lock/rlock.ts";
import "../sync/semaphore.ts";
import "../sync/bounded_semaphore.ts";
import "../sync/condition.ts";
import "../sync/event.ts";
import "../sync/barrier.ts";
import "../data/raw_value.ts";
import "../data/value.ts";
import "../data/synchronized_array.ts";
import "../data/synchronized_string.ts";
import "../channel/channel.ts";
import "../channel/float_channel.ts";

export { revive } from "../core/_handle.ts";
