// Zoho's typescript-sdk-8.0 (its CommonJS build) against crm-profiles; see flow.mjs.
const Z = require("@zohocrm/typescript-sdk-8.0");

import("./flow.mjs").then(({ runFlow }) => runFlow(Z, "typescript-sdk-8.0"));
