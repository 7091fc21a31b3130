/**
 * The part of `@opentelemetry/api` this library uses, written out structurally so that neither its
 * code nor its published types import the optional peer: a `Meter` and a `Tracer` of the real API
 * (any 1.x from 1.4) fit these types.
 *
 * @module
 */

/** Attribute values this library sets (strings and numbers only). */
export type Attributes = Record<string, string | number>;

export interface CounterLike {
  add(value: number, attributes?: Attributes): void;
}
export interface HistogramLike {
  record(value: number, attributes?: Attributes): void;
}
/** An observable instrument (gauge or counter); observed through a batch callback. */
export type ObservableLike = object;
export interface BatchResultLike {
  observe(instrument: never, value: number, attributes?: Attributes): void;
}
export type BatchCallbackLike = (result: BatchResultLike) => void | Promise<void>;

export interface InstrumentOptions {
  description?: string;
  unit?: string;
  advice?: { explicitBucketBoundaries?: number[] };
}

/** `@opentelemetry/api`'s `Meter`, as used here. */
export interface MeterLike {
  createCounter(name: string, options?: InstrumentOptions): CounterLike;
  createHistogram(name: string, options?: InstrumentOptions): HistogramLike;
  createObservableGauge(name: string, options?: InstrumentOptions): ObservableLike;
  createObservableCounter(name: string, options?: InstrumentOptions): ObservableLike;
  addBatchObservableCallback(callback: never, observables: never[]): void;
  removeBatchObservableCallback(callback: never, observables: never[]): void;
}

/** `@opentelemetry/api`'s `Span`, as used here. */
export interface SpanLike {
  setAttribute(key: string, value: string | number): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  recordException(exception: Error | string): void;
  end(): void;
}

/** `@opentelemetry/api`'s `Tracer`, as used here (the span's parent is the active context). */
export interface TracerLike {
  startSpan(name: string, options?: { attributes?: Attributes; kind?: number }): SpanLike;
}

/** `SpanStatusCode.ERROR` of the API (its value is part of the OpenTelemetry specification). */
export const SPAN_STATUS_ERROR = 2;
/** `SpanKind.INTERNAL`. */
export const SPAN_KIND_INTERNAL = 0;
