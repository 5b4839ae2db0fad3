import { SageMakerClient } from "@aws-sdk/client-sagemaker";
import { createActionHandler } from "../handler.js";
import { endpointStatus } from "./action.js";

export const handler = createActionHandler(endpointStatus, { sagemaker: SageMakerClient });
