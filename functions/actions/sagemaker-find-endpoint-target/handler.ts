import { SageMakerClient } from "@aws-sdk/client-sagemaker";
import { createActionHandler } from "../handler.js";
import { findEndpointRollbackTarget } from "./action.js";

export const handler = createActionHandler(findEndpointRollbackTarget, { sagemaker: SageMakerClient });
