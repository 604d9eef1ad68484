package io.praas.process.swap;

import java.time.Instant;
import java.util.List;

/**
 * The manifest of one swap snapshot, stored as JSON next to its data object and written last: a
 * snapshot without a manifest is incomplete and never restored. See {@code SNAPSHOT.md}.
 *
 * @param format          always {@link #FORMAT}
 * @param version         the snapshot format version
 * @param application     the process's application
 * @param processId       the process
 * @param generation      the swap generation (1, 2, ...)
 * @param createdAt       when the snapshot was committed
 * @param dataKey         the object holding the snapshot stream
 * @param partSize        bytes per part (all but the last)
 * @param parts           each part's offset, size and SHA-256
 * @param totalBytes      bytes of the stream
 * @param sha256          SHA-256 of the whole stream
 * @param processEntries  process-state entries
 * @param sessions        sessions
 * @param sessionEntries  session-state entries, all sessions together
 * @param stateBytes      bytes of state held by the process when it swapped
 */
public record SwapManifest(String format, int version, String application, String processId, long generation,
                           Instant createdAt, String dataKey, int partSize, List<Part> parts, long totalBytes,
                           String sha256, long processEntries, long sessions, long sessionEntries, long stateBytes) {
    public static final String FORMAT = "praas-swap-snapshot";
    public static final int VERSION = 1;

    /** One part of the data object. */
    public record Part(int number, long offset, int size, String sha256) {
    }

    public SwapManifest {
        parts = List.copyOf(parts);
    }

    /** The key prefix of every generation of a process's snapshots. */
    public static String prefix(String application, String processId) {
        return "swaps/" + application + "/" + processId + "/";
    }

    /** The key prefix of one generation. */
    public static String generationPrefix(String application, String processId, long generation) {
        return prefix(application, processId) + String.format("gen-%012d/", generation);
    }

    public static String manifestKey(String application, String processId, long generation) {
        return generationPrefix(application, processId, generation) + "manifest.json";
    }

    public static String dataKey(String application, String processId, long generation) {
        return generationPrefix(application, processId, generation) + "data";
    }
}
