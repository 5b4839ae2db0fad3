import { SageMakerClient } from "@aws-sdk/client-sagemaker";
import { createActionHandler } from "../handler.js";
import { rollbackEndpoint } from "./action.js";

export const handler = createActionHandler(rollbackEndpoint, { sagemaker: SageMakerClient });
