package io.praas.process.swap;

import java.nio.charset.StandardCharsets;

/** Constants of the snapshot stream (see SNAPSHOT.md). */
final class SnapshotFormat {
    static final byte[] MAGIC = "PRAASNAP".getBytes(StandardCharsets.US_ASCII);
    static final int STREAM_VERSION = 1;
    static final int PROCESS_ENTRY = 1;
    static final int SESSION = 2;
    static final int SESSION_ENTRY = 3;
    static final int MAILBOX_MESSAGE = 4;
    static final int END = 0xFF;

    private SnapshotFormat() {
    }
}
