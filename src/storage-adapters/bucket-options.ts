/**
 * Option checks shared by the object-store adapters (S3, GCS): both take a bucket, a prefix, a
 * retry policy and a listing page size, and must refuse bad values the same way.
 *
 * @module
 */
import { InvalidInputError } from '../errors.js';
import { normalizeAdapterPrefix, utf8Length } from './keys.js';
import { retryPolicy, type RetryPolicy } from './retry.js';
import type { StorageAdapterOptions } from './types.js';

/** The options every bucket adapter accepts. */
export interface BucketAdapterOptions extends StorageAdapterOptions {
  /** The bucket. It must exist; the adapter never creates buckets. */
  bucket: string;
  /** Keys per listing page (S3 `ListObjectsV2`, GCS `objects.list`), 1–1000 (default 1000). */
  pageSize?: number;
}

/** Checked and defaulted bucket adapter settings. */
export interface BucketAdapterSettings {
  bucket: string;
  prefix: string;
  prefixBytes: number;
  retry: RetryPolicy;
  pageSize: number;
}

/** Largest page both S3 ListObjectsV2 and GCS objects.list return. */
const MAX_PAGE_SIZE = 1000;

/**
 * Validates the shared options of `className` (e.g. `S3Storage`) before any I/O.
 * @throws InvalidInputError naming the option and how to fix it.
 */
export function bucketAdapterSettings(className: string, options: BucketAdapterOptions): BucketAdapterSettings {
  if (!options || typeof options.bucket !== 'string' || options.bucket === '') {
    throw new InvalidInputError(`invalid ${className} options`, 'the `bucket` option is required', {
      hint: `pass new ${className}({ bucket: 'my-bucket' })`,
    });
  }
  const pageSize = options.pageSize ?? MAX_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new InvalidInputError(
      `invalid ${className} options`,
      `pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${options.pageSize}`,
    );
  }
  const prefix = normalizeAdapterPrefix(options.prefix);
  return { bucket: options.bucket, prefix, prefixBytes: utf8Length(prefix), retry: retryPolicy(options.retry), pageSize };
}
