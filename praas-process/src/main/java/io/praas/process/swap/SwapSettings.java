package io.praas.process.swap;

import io.praas.process.storage.S3Settings;

/**
 * How a process swaps: where its snapshots go, in what parts, and which snapshot (if any) it
 * restores before it serves.
 *
 * @param store           the object store of snapshots
 * @param partSize        bytes per multipart part (at least 5 MiB)
 * @param parallelism     parts uploaded or downloaded at once
 * @param restoreManifest the manifest key to restore at start, or null for a fresh process
 * @param restoreInline   the control plane's {@link InlineSnapshot} copy of that snapshot, or null
 * @param sendInline      whether a swap-out sends the control plane an {@link InlineSnapshot} copy of a
 *                        small snapshot (only where its backend keeps the copy from others' sight)
 */
public record SwapSettings(S3Settings store, int partSize, int parallelism, String restoreManifest,
                           byte[] restoreInline, boolean sendInline) {
    public static final int DEFAULT_PART_SIZE = 8 * 1024 * 1024;
    public static final int DEFAULT_PARALLELISM = 4;

    public SwapSettings {
        if (store == null) {
            throw new IllegalArgumentException("swap settings need an object store (PRAAS_S3_BUCKET ...)");
        }
        if (partSize < 5 * 1024 * 1024 || parallelism < 1) {
            throw new IllegalArgumentException("swap parts must be at least 5 MiB and parallelism at least 1");
        }
    }

    /** Without {@link InlineSnapshot inline copies}. */
    public SwapSettings(S3Settings store, int partSize, int parallelism, String restoreManifest) {
        this(store, partSize, parallelism, restoreManifest, null, false);
    }
}
