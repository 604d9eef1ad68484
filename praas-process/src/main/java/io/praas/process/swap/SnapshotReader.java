package io.praas.process.swap;

import io.praas.process.storage.ObjectGets;


import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;

/**
 * Restores a swap snapshot: reads the manifest, fetches the parts in parallel (a bounded window
 * ahead of the decoder), checks each part's checksum (CRC32C; SHA-256 in a version-1 snapshot) and
 * the whole snapshot's, and hands every entry
 * to a {@link Sink}. Any mismatch is a {@link CorruptSnapshotException}; nothing is half-restored
 * into a serving process because restore runs before the process serves.
 */
public final class SnapshotReader {
    private final ObjectGets store;
    private final int parallelism;
    private final ExecutorService downloads;

    /** Receives the snapshot's content in stream order. */
    public interface Sink {
        void processEntry(String key, byte[] value);

        void session(String sessionId);

        void sessionEntry(String sessionId, String key, byte[] value);

        /** An undelivered peer message, in arrival order. */
        void mailboxMessage(String from, String key, byte[] data);
    }

    public SnapshotReader(ObjectGets store, int parallelism, ExecutorService downloads) {
        this.store = store;
        this.parallelism = parallelism;
        this.downloads = downloads;
    }

    /** Reads and checks a manifest. @throws CorruptSnapshotException if missing or not a manifest */
    public SwapManifest manifest(String manifestKey) {
        byte[] json;
        try {
            json = store.get(manifestKey);
        } catch (ObjectGets.ObjectStoreException | UncheckedIOException e) {
            // An unreachable store too: the swap-in fails and says so, as through the SDK's client.
            throw new CorruptSnapshotException("snapshot manifest " + manifestKey + " cannot be read: " + e.getMessage());
        }
        if (json == null) {
            throw new CorruptSnapshotException("snapshot manifest " + manifestKey + " does not exist");
        }
        return checkedManifest(manifestKey, json);
    }

    /**
     * Parses and checks the manifest stored at {@code manifestKey}.
     *
     * @throws CorruptSnapshotException if it does not parse, has a format this runtime does not read, lacks
     *     checksums or lists parts that do not tile the stream
     */
    static SwapManifest checkedManifest(String manifestKey, byte[] json) {
        SwapManifest m;
        try {
            m = SwapManifest.fromJson(json);
        } catch (IOException e) {
            throw new CorruptSnapshotException("snapshot manifest " + manifestKey + " does not parse: " + e.getMessage());
        }
        if (!SwapManifest.FORMAT.equals(m.format()) || m.version() < SwapManifest.OLDEST_READABLE_VERSION
                || m.version() > SwapManifest.VERSION) {
            throw new CorruptSnapshotException("snapshot manifest " + manifestKey + " is " + m.format() + " v"
                    + m.version() + "; this runtime reads " + SwapManifest.FORMAT + " v"
                    + SwapManifest.OLDEST_READABLE_VERSION + " to v" + SwapManifest.VERSION);
        }
        boolean crc = checksCrc(m);
        String algorithm = crc ? "CRC32C" : "SHA-256";
        if ((crc ? m.crc32c() : m.sha256()) == null
                || m.parts().stream().anyMatch(p -> (crc ? p.crc32c() : p.sha256()) == null)) {
            throw new CorruptSnapshotException("snapshot manifest " + manifestKey + " is v" + m.version()
                    + " but does not list the " + algorithm + " of the whole stream and of every part");
        }
        // The parts must tile the stream: a value's length is checked against what is left of it.
        long offset = 0;
        for (int i = 0; i < m.parts().size(); i++) {
            SwapManifest.Part p = m.parts().get(i);
            if (p.number() != i + 1 || p.offset() != offset || p.size() <= 0) {
                throw new CorruptSnapshotException("snapshot manifest " + manifestKey + " lists part " + p.number()
                        + " at offset " + p.offset() + " (" + p.size() + " bytes) where part " + (i + 1)
                        + " at offset " + offset + " belongs");
            }
            offset += p.size();
        }
        if (offset != m.totalBytes()) {
            throw new CorruptSnapshotException("snapshot manifest " + manifestKey + " lists parts of " + offset
                    + " bytes but a stream of " + m.totalBytes());
        }
        return m;
    }

    /** Restores the snapshot of {@code manifest} into {@code sink}. */
    public void restore(SwapManifest manifest, Sink sink) {
        restore(manifest, null, sink);
    }

    /**
     * Restores the snapshot of {@code manifest} into {@code sink}, taking its first part from
     * {@code firstPart} (a ranged GET from offset 0 started before the manifest was read; null: none)
     * when that has the part's size. Whatever it holds is checked as a fetched part is; when it failed
     * or has another size, the part is fetched again.
     */
    public void restore(SwapManifest manifest, CompletableFuture<byte[]> firstPart, Sink sink) {
        PartInput in = new PartInput(manifest, firstPart);
        try (DataInputStream data = new DataInputStream(in)) {
            byte[] magic = data.readNBytes(SnapshotFormat.MAGIC.length);
            if (!Arrays.equals(magic, SnapshotFormat.MAGIC) || data.readUnsignedShort() != SnapshotFormat.STREAM_VERSION) {
                throw new CorruptSnapshotException("snapshot " + manifest.dataKey() + " has no valid header");
            }
            long entries = 0;
            String session = null;
            while (true) {
                int kind = data.readUnsignedByte();
                if (kind == SnapshotFormat.END) {
                    long expected = data.readLong();
                    if (expected != entries) {
                        throw new CorruptSnapshotException("snapshot holds " + entries + " entries, its end says " + expected);
                    }
                    break;
                }
                switch (kind) {
                    case SnapshotFormat.PROCESS_ENTRY -> {
                        sink.processEntry(str(data), bytes(data, in));
                        entries++;
                    }
                    case SnapshotFormat.SESSION -> {
                        session = str(data);
                        sink.session(session);
                    }
                    case SnapshotFormat.SESSION_ENTRY -> {
                        if (session == null) {
                            throw new CorruptSnapshotException("session entry before any session");
                        }
                        sink.sessionEntry(session, str(data), bytes(data, in));
                        entries++;
                    }
                    case SnapshotFormat.MAILBOX_MESSAGE -> {
                        String from = str(data);
                        sink.mailboxMessage(from, str(data), bytes(data, in));
                        entries++;
                    }
                    default -> throw new CorruptSnapshotException("unknown record kind " + kind + " in the snapshot");
                }
            }
            if (data.read() != -1) {
                throw new CorruptSnapshotException("bytes after the end of the snapshot stream");
            }
        } catch (EOFException e) {
            throw new CorruptSnapshotException("snapshot " + manifest.dataKey() + " ends early: after "
                    + in.total + " of the " + manifest.totalBytes() + " bytes its manifest lists, in "
                    + manifest.parts().size() + " parts");
        } catch (IOException e) {
            throw new CorruptSnapshotException("snapshot " + manifest.dataKey() + " cannot be read: " + e.getMessage());
        }
        // Every part matched its checksum; the whole checksum ties the parts' list to the snapshot.
        boolean crc = checksCrc(manifest);
        String whole = crc ? SnapshotFormat.compositeCrc32c(manifest.parts()) : SnapshotFormat.composite(manifest.parts());
        String listed = crc ? manifest.crc32c() : manifest.sha256();
        if (!whole.equals(listed) || in.total != manifest.totalBytes()) {
            throw new CorruptSnapshotException("snapshot " + manifest.dataKey() + " checksum mismatch: its parts give "
                    + (crc ? "CRC32C " : "SHA-256 ") + whole + " over " + in.total + " bytes, the manifest says "
                    + listed + " over " + manifest.totalBytes());
        }
    }

    /**
     * Whether the manifest lists CRC32Cs (version 2 on) rather than SHA-256s (version 1). A CRC32C
     * runs at memory speed from a new JVM's first byte on (an intrinsic even before the JIT compiles
     * anything), where SHA-256 took 64-108 ms for the first 8 MiB part of each download thread, and
     * ~6 ms per part after.
     */
    private static boolean checksCrc(SwapManifest manifest) {
        return manifest.version() >= 2;
    }

    private static String str(DataInputStream in) throws IOException {
        int n = in.readUnsignedShort();
        return new String(in.readNBytes(n), StandardCharsets.UTF_8);
    }

    /**
     * A value: its length, then as many bytes, read straight into one array of that length (a
     * length over what is left of the stream is refused before anything is allocated).
     */
    private static byte[] bytes(DataInputStream in, PartInput parts) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            throw new CorruptSnapshotException("negative value length in the snapshot");
        }
        if (n > parts.remaining()) {
            throw new CorruptSnapshotException("a value of " + n + " bytes with " + parts.remaining()
                    + " bytes left in the snapshot");
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    /** The parts as one stream, fetched `parallelism` ahead and checked one by one. */
    private final class PartInput extends InputStream {
        private final SwapManifest manifest;
        private final Iterator<SwapManifest.Part> next;
        private final Deque<CompletableFuture<byte[]>> ahead = new ArrayDeque<>();
        private InputStream current = InputStream.nullInputStream();
        private long total;

        PartInput(SwapManifest manifest, CompletableFuture<byte[]> firstPart) {
            this.manifest = manifest;
            this.next = manifest.parts().iterator();
            if (firstPart != null && next.hasNext()) {
                SwapManifest.Part p = next.next();
                // Checked where it completes, or here if it has: the reader waits for this part first,
                // so a download thread would add a hand-off and nothing in parallel. Fetched again
                // (it failed, or has another size) on a download thread, beside the later parts.
                ahead.add(firstPart.handle((bytes, failed) -> bytes != null && bytes.length == p.size() ? bytes : null)
                        .thenCompose(bytes -> bytes != null ? CompletableFuture.completedFuture(check(p, bytes))
                                : CompletableFuture.supplyAsync(() -> fetch(p), downloads)));
            }
            fill();
        }

        private void fill() {
            while (ahead.size() < parallelism && next.hasNext()) {
                SwapManifest.Part p = next.next();
                ahead.add(CompletableFuture.supplyAsync(() -> fetch(p), downloads));
            }
        }

        private byte[] fetch(SwapManifest.Part p) {
            byte[] bytes;
            try {
                bytes = store.getRange(manifest.dataKey(), p.offset(), p.size());
            } catch (ObjectGets.ObjectStoreException e) {
                throw new CorruptSnapshotException("part " + p.number() + " of " + manifest.dataKey()
                        + " cannot be read: " + e.getMessage());
            }
            if (bytes == null) {
                throw new CorruptSnapshotException("snapshot data " + manifest.dataKey() + " does not exist");
            }
            return check(p, bytes);
        }

        /** The part's bytes, if they have its size and checksum. */
        private byte[] check(SwapManifest.Part p, byte[] bytes) {
            boolean crc = checksCrc(manifest);
            String algorithm = crc ? "CRC32C" : "SHA-256";
            String sum = crc ? SnapshotFormat.hex(SnapshotFormat.crc32c(bytes, bytes.length))
                    : HexFormat.of().formatHex(SnapshotFormat.sha256().digest(bytes));
            String expected = crc ? p.crc32c() : p.sha256();
            if (bytes.length != p.size() || !sum.equals(expected)) {
                throw new CorruptSnapshotException("part " + p.number() + " of " + manifest.dataKey()
                        + " is corrupt: " + bytes.length + " bytes with " + algorithm + " " + sum + ", expected "
                        + p.size() + " bytes with " + expected);
            }
            return bytes;
        }

        private boolean advance() throws IOException {
            CompletableFuture<byte[]> f = ahead.poll();
            if (f == null) {
                return false;
            }
            byte[] part;
            try {
                part = f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while reading the snapshot");
            } catch (ExecutionException e) {
                if (e.getCause() instanceof CorruptSnapshotException c) {
                    throw c;
                }
                throw new IOException(e.getCause().getMessage(), e.getCause());
            }
            total += part.length;
            current = new ByteArrayInputStream(part);
            fill();
            return true;
        }

        /** Bytes of the stream not read yet, by the manifest's count. */
        long remaining() throws IOException {
            return manifest.totalBytes() - total + current.available();
        }

        @Override
        public int read() throws IOException {
            while (true) {
                int b = current.read();
                if (b >= 0) {
                    return b;
                }
                if (!advance()) {
                    return -1;
                }
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            while (true) {
                int n = current.read(b, off, len);
                if (n > 0 || len == 0) {
                    return n;
                }
                if (!advance()) {
                    return -1;
                }
            }
        }
    }
}
