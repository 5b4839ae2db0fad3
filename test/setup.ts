// Shared test setup: aws-local-stepfunctions needs Promise.withResolvers, which Node 20 lacks.
import "../infra/local/polyfills.js";
