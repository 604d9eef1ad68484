package io.praas.process.swap;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Constants and checksums of the snapshot stream (see SNAPSHOT.md), shared by the writer and the
 * reader. Kept apart from {@link SnapshotWriter}, whose JSON mapper a swap-in has no use for and
 * would pay ~0.15 s to build.
 */
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

    /**
     * The whole stream's checksum in version 1: the SHA-256 of its parts' SHA-256 digests, in order
     * (a composite checksum, as S3 has).
     */
    static String composite(List<SwapManifest.Part> parts) {
        MessageDigest whole = sha256();
        for (SwapManifest.Part p : parts) {
            whole.update(HexFormat.of().parseHex(p.sha256()));
        }
        return HexFormat.of().formatHex(whole.digest());
    }

    /**
     * The whole stream's CRC32C (version 2): the CRC32C of the parts' CRC32C values (4 bytes each,
     * big-endian), in order, as 8 hex digits; a composite checksum as S3's.
     */
    static String compositeCrc32c(List<SwapManifest.Part> parts) {
        CRC32C whole = new CRC32C();
        for (SwapManifest.Part p : parts) {
            whole.update(HexFormat.of().parseHex(p.crc32c()));
        }
        return hex((int) whole.getValue());
    }

    /** The CRC32C of the first {@code length} bytes of {@code b}. */
    static int crc32c(byte[] b, int length) {
        CRC32C crc = new CRC32C();
        crc.update(b, 0, length);
        return (int) crc.getValue();
    }

    /** A CRC32C as the manifest lists it: 8 hex digits. */
    static String hex(int crc32c) {
        return HexFormat.of().toHexDigits(crc32c);
    }

    static MessageDigest sha256() {
        return io.praas.auth.HmacSha256.sha256();
    }
}
