/**
 * The one place plugins and the runtime get tsyringe from.
 *
 * tsyringe throws at import time unless a Reflect metadata polyfill is loaded first, and ES
 * modules evaluate their imports in source order: importing `reflect-metadata` here, before
 * re-exporting tsyringe, makes every importer safe whatever it loads first. Decorator metadata is
 * never relied on (tsx and esbuild do not emit it): every constructor parameter of an injectable
 * class needs an explicit `@inject(TOKEN)`.
 */
import 'reflect-metadata';

export { container as rootContainer, inject, injectable, singleton, injectAll, Lifecycle } from 'tsyringe';
export type { DependencyContainer, InjectionToken } from 'tsyringe';
