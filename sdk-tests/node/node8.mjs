// Zoho's nodejs-sdk-8.0 (ESM) against crm-profiles; see flow.mjs.
import * as Z from "@zohocrm/nodejs-sdk-8.0";
import { runFlow } from "./flow.mjs";

await runFlow(Z, "nodejs-sdk-8.0");
