#!/usr/bin/env -S npx tsx
/**
 * Writes core/connection/proto-subset-data.ts: the descriptors of the `@temporalio/proto` types
 * the main thread uses (core/connection/proto-subset-roots.ts), taken from the installed package.
 * Run it after changing that list or upgrading @temporalio/proto; the unit test
 * test/unit/connection/proto-subset.test.ts fails until the file matches.
 *
 *   npm run proto:subset        (npx tsx scripts/gen-proto-subset.mts)
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { protoSubsetDataSource } from '../core/connection/proto-subset-source.js';

const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../core/connection/proto-subset-data.ts');
await writeFile(file, protoSubsetDataSource());
console.log(`wrote ${path.relative(process.cwd(), file)}`);
