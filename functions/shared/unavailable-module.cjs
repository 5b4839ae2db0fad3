"use strict";
/**
 * Stands in, inside Lambda bundles only, for a module Quell's dependencies require but Lambda never runs
 * (LAMBDA_UNUSED_MODULES in infra/aws/bundling.ts: Bolt's Express, Socket Mode and OAuth; X-Ray's semver).
 * Requiring it costs nothing; calling or constructing anything from it throws, naming what happened, instead of
 * misbehaving.
 */
const message = (path) =>
  `${path} is not bundled for Lambda: Quell replaces it with a stub (LAMBDA_UNUSED_MODULES in infra/aws/bundling.ts)`;

const unavailable = (path) =>
  new Proxy(function unavailableModule() {}, {
    get(_target, key) {
      if (key === "__esModule" || typeof key === "symbol" || key === "then") return undefined;
      return unavailable(`${path}.${key}`);
    },
    apply() {
      throw new Error(message(path));
    },
    construct() {
      throw new Error(message(path));
    },
  });

module.exports = unavailable("module");
