// A registry: the definitions of one vocabulary (layer types, presets, datasets, optimizers,
// schedules) by name. Built-ins and a user's own register alike; a name is taken once.
import { SpecError } from './errors.ts';

/** The definitions of one vocabulary by name: a name is taken once, by one definition. */
export class Registry<T> {
  private readonly items = new Map<string, T>();

  /** `what` names an entry in errors ("layer type", "dataset"); `nameOf` reads its name. */
  constructor(
    private readonly what: string,
    private readonly nameOf: (item: T) => string,
  ) {}

  /** Add `item`; the same definition again is a no-op, another one under a taken name an error. */
  register(item: T, where: string): T {
    const name = this.nameOf(item);
    const known = this.items.get(name);
    if (known !== undefined && known !== item) {
      throw new SpecError(`${where}: a ${this.what} named "${name}" is already registered (a built-in?); give yours its own name`);
    }
    this.items.set(name, item);
    return item;
  }

  get(name: unknown): T | undefined {
    return typeof name === 'string' ? this.items.get(name) : undefined;
  }

  names(): string[] {
    return [...this.items.keys()];
  }

  values(): T[] {
    return [...this.items.values()];
  }
}
