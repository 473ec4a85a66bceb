/**
 * `revive`: makes sabkit objects received from another thread live again.
 * It knows every kind of sabkit object, so each is imported here for its
 * registration, whichever entrypoint the user took `revive` from.
 *
 * @module
 */

import "./lock.ts";
import "./rlock.ts";
import "./semaphore.ts";
import "./bounded_semaphore.ts";
import "./condition.ts";
import "./event.ts";
import "./barrier.ts";
import "./raw_value.ts";
import "./value.ts";
import "./synchronized_array.ts";
import "./synchronized_string.ts";
import "./channel.ts";
import "./float_channel.ts";

export { revive } from "./_handle.ts";
