// Objects indexed by user input. A plain `obj[key]` finds Object.prototype's members ("constructor",
// "toString") and `obj[key] = v` with key "__proto__" replaces the prototype instead of adding a
// key: both turn a hostile name into a crash or a silently dropped value.

/** obj[key] when key is obj's own property, else undefined. */
export function ownValue<T>(obj: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Sets obj[key] as an own, enumerable property, also for the key "__proto__". */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
