package io.praas.process.swap;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A copy of a small snapshot, its manifest and its data, that the process hands to the control plane
 * in SWAPPED and the control plane hands to the next swap-in (SNAPSHOT.md, "Inline copies"). The
 * snapshot in the store stays what is committed; the copy only spares a swap-in its round trip to
 * the store, and it is used only when it is the snapshot being restored and passes the same checks.
 *
 * <p>Encoding: {@code u32} length of the manifest's JSON, the JSON, then the data object's bytes.
 *
 * @param manifest the checked manifest
 * @param data     the data object (one part)
 */
public record InlineSnapshot(SwapManifest manifest, byte[] data) {
    /** The largest data object copied inline. */
    public static final int MAX_DATA_BYTES = 4096;
    /** The largest inline copy anyone accepts: a manifest of one part is well under 2 KiB. */
    public static final int MAX_BYTES = MAX_DATA_BYTES + 8192;

    /** The inline copy of a snapshot whose data is one part of at most {@link #MAX_DATA_BYTES}, else null. */
    public static byte[] encode(byte[] manifestJson, byte[] data, int dataLength) {
        if (dataLength > MAX_DATA_BYTES || 4 + manifestJson.length + dataLength > MAX_BYTES) {
            return null;
        }
        return ByteBuffer.allocate(4 + manifestJson.length + dataLength).putInt(manifestJson.length)
                .put(manifestJson).put(data, 0, dataLength).array();
    }

    /**
     * Decodes and checks an inline copy of the snapshot at {@code manifestKey} of this process: the
     * manifest's own checks ({@link SnapshotReader#checkedManifest}), that it is that generation of
     * this process with one part, and that the data matches the part's size and CRC32C.
     *
     * @throws CorruptSnapshotException saying what does not match
     */
    public static InlineSnapshot decode(byte[] inline, String application, String processId, String manifestKey) {
        if (inline.length < 4 || inline.length > MAX_BYTES) {
            throw new CorruptSnapshotException("inline snapshot copy of " + inline.length + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(inline);
        int jsonLength = b.getInt();
        if (jsonLength <= 0 || jsonLength > inline.length - 4) {
            throw new CorruptSnapshotException("inline snapshot copy announces a manifest of " + jsonLength
                    + " bytes in " + (inline.length - 4));
        }
        SwapManifest m = SnapshotReader.checkedManifest(manifestKey,
                Arrays.copyOfRange(inline, 4, 4 + jsonLength));
        if (!m.application().equals(application) || !m.processId().equals(processId)
                || !SwapManifest.manifestKey(application, processId, m.generation()).equals(manifestKey)
                || !m.dataKey().equals(SwapManifest.dataKeyOf(manifestKey))) {
            throw new CorruptSnapshotException("inline snapshot copy is generation " + m.generation() + " of "
                    + m.application() + "/" + m.processId() + ", not " + manifestKey);
        }
        byte[] data = Arrays.copyOfRange(inline, 4 + jsonLength, inline.length);
        SwapManifest.Part part = m.parts().size() == 1 ? m.parts().get(0) : null;
        if (part == null || part.crc32c() == null || part.size() != data.length) {
            throw new CorruptSnapshotException("inline snapshot copy has " + data.length + " bytes of data for a "
                    + "manifest of " + m.parts().size() + " parts and " + m.totalBytes() + " bytes");
        }
        if (!SnapshotFormat.hex(SnapshotFormat.crc32c(data, data.length)).equals(part.crc32c())) {
            throw new CorruptSnapshotException("inline snapshot copy of " + manifestKey + " fails its CRC32C");
        }
        return new InlineSnapshot(m, data);
    }
}
