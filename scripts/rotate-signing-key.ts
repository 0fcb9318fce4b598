/**
 * Operator command: `npm run user:rotate-key` (or `node --import tsx scripts/rotate-signing-key.ts`)
 * retires the user service's signing key and creates a new one, in the database of DATABASE_URL,
 * with the service's own variables (SIGNING_KEY_ENCRYPTION_KEY, ACCESS_TOKEN_TTL_MS).
 */
import { createLogger } from "@shop/platform/log";
import { parseUserConfig } from "../services/user/src/config.js";
import { rotateSigningKeyInDatabase } from "../services/user/src/rotate-signing-key.js";

const config = parseUserConfig();
const logger = createLogger({ service: "rotate-signing-key", level: "warn" });
try {
  const { kid, retiredKid } = await rotateSigningKeyInDatabase(config, logger);
  console.log(`signing key rotated: logins now sign with ${kid}`);
  console.log(
    `${retiredKid} is retired; its public key stays published for the token lifetime plus one minute`,
  );
} catch (error) {
  console.error(`rotate-signing-key: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
