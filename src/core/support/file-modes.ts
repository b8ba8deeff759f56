// The modes of everything serve writes into the data directory: the database holds job settings
// and worker secrets' hashes, logs hold paths and command lines, the config the registration
// secret. Only the account serve runs as may read them. Modes given at creation can only be
// narrowed by the umask, never widened, so these hold whatever the umask is.
export const PRIVATE_FILE = 0o600;
export const PRIVATE_DIR = 0o700;
