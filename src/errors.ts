// One error class per kind of failure; each message names the field, file, op or layer.

class RulebenchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A malformed experiment spec or option: the message names the field and accepted values. */
export class SpecError extends RulebenchError {}
/** An unreadable, corrupt or missing data file: the message names the file and what is wrong. */
export class DataError extends RulebenchError {}
/** Incompatible shapes: the message names the op. */
export class ShapeError extends RulebenchError {}
/** NaN/Inf produced: the message names the op and layer. */
export class NumericsError extends RulebenchError {}
