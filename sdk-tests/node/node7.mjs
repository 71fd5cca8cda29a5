// Zoho's nodejs-sdk-7.0 (ESM, /crm/v7) against crm-profiles; see flow.mjs.
import * as Z from "@zohocrm/nodejs-sdk-7.0";
import { runFlow } from "./flow.mjs";

await runFlow(Z, "nodejs-sdk-7.0");
