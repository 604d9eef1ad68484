package io.praas.process.swap;

/** A snapshot that is missing, incomplete or fails its checksums: it is not restored. */
public final class CorruptSnapshotException extends RuntimeException {
    public CorruptSnapshotException(String message) {
        super(message);
    }
}
