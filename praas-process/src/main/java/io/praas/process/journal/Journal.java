package io.praas.process.journal;

import io.praas.process.messaging.Mailbox;
import io.praas.process.state.StateJournal;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * A process's write-ahead journal of state, session and mailbox changes on local disk, in a Chronicle
 * Queue (memory-mapped files). Every change is appended before the invocation that made it is
 * acknowledged, so a process killed with SIGKILL restarts from its last snapshot plus this journal
 * and loses nothing it acknowledged. (It survives the process, not the machine: the pages are the
 * operating system's until it writes them out.) The journal is emptied after each committed swap
 * snapshot, which holds everything it did.
 *
 * <p>Between swaps it is <em>compacted</em> in the background once it has grown past a threshold
 * ({@link #compactAt}): a copy keeps only the changes a replay still needs (the last write of each
 * key, a session's last closing and what followed it, each message's last put and take), then the
 * changes appended meanwhile, and takes the place of the queue. So a process that never swaps
 * replays a journal about as large as what it changed since its snapshot, not every write it ever
 * took. Appends go on while the copy is made; they wait only while the tail is copied and the
 * directories are switched.
 *
 * <p>Layout: the queue is {@code <directory>/queue}. A compaction writes {@code <directory>/compacting},
 * then renames {@code queue} to {@code old} and {@code compacting} to {@code queue}, then removes
 * {@code old}; {@link #open} finishes or discards one that a crash interrupted.
 */
public final class Journal implements StateJournal, Mailbox.Journal, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Journal.class);
    private static final byte PUT = 1;
    private static final byte DELETE = 2;
    private static final byte SESSION_OPENED = 3;
    private static final byte SESSION_CLOSED = 4;
    private static final byte MAILBOX_PUT = 5;
    private static final byte MAILBOX_TAKE = 6;
    /** Default {@link #open(Path, long)} threshold: compaction starts once the journal holds this many bytes. */
    public static final long DEFAULT_COMPACT_BYTES = 64L << 20;

    private final Path directory;
    private final Path queueDir;
    private final Path compactingDir;
    private final Path oldDir;
    /** Compaction starts once the journal holds at least this many bytes (0: never). */
    private final long compactFloor;
    private ChronicleQueue queue;
    private ExcerptAppender appender;
    /** Bytes of records in the queue (their payloads). */
    private long bytes;
    /** {@link #bytes} at which the next compaction starts: the floor, or twice what the last one kept. */
    private long compactAt;
    private boolean compacting;
    /** Bumped when the queue is emptied or closed: a compaction that began before gives up. */
    private volatile int epoch;
    private volatile boolean closed;
    /** Held by a compaction while it reads the queue without this journal's lock; closing waits for it. */
    private final ReentrantLock reading = new ReentrantLock();

    private Journal(Path directory, long compactFloor) {
        this.directory = directory;
        this.queueDir = directory.resolve("queue");
        this.compactingDir = directory.resolve("compacting");
        this.oldDir = directory.resolve("old");
        this.compactFloor = compactFloor;
        recoverInterruptedCompaction();
        open();
    }

    /** Opens (or creates) the journal in {@code directory}, compacting it past {@link #DEFAULT_COMPACT_BYTES}. */
    public static Journal open(Path directory) {
        return open(directory, DEFAULT_COMPACT_BYTES);
    }

    /**
     * Opens (or creates) the journal in {@code directory}; it is compacted in the background once it
     * holds {@code compactBytes} (0: never), and after that once it holds twice what the last
     * compaction kept.
     */
    public static Journal open(Path directory, long compactBytes) {
        if (compactBytes < 0) {
            throw new IllegalArgumentException("journal compaction threshold must not be negative");
        }
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the journal directory " + directory, e);
        }
        return new Journal(directory, compactBytes);
    }

    private void open() {
        queue = ChronicleQueue.singleBuilder(queueDir).build();
        appender = queue.createAppender();
        appender.singleThreadedCheckDisabled(true); // every use is under this journal's lock
        compactAt = compactFloor;
    }

    /**
     * A compaction interrupted by a crash: before {@code queue} was renamed away its copy may be
     * incomplete (discarded); after, it is complete (taken).
     */
    private void recoverInterruptedCompaction() {
        try {
            // Without the queue, only a copy marked whole takes its place: an old queue left behind
            // (being removed after a switch, or a truncation's) holds records a snapshot has since.
            if (!Files.exists(queueDir) && Files.exists(compactingDir.resolve(COMPLETE))) {
                Files.move(compactingDir, queueDir, StandardCopyOption.ATOMIC_MOVE);
                LOG.info("journal {}: finished a compaction a crash interrupted", directory);
            }
            migrateFlatLayout();
            Files.deleteIfExists(queueDir.resolve(COMPLETE));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot recover the journal " + directory, e);
        }
        deleteFiles(compactingDir);
        deleteFiles(oldDir);
    }

    /**
     * A journal written before the queue moved into {@code queue/} (its files right in the
     * directory): moved in, also what a crash part-way through an earlier move left.
     */
    private void migrateFlatLayout() throws IOException {
        List<Path> files;
        try (Stream<Path> listed = Files.list(directory)) {
            files = listed.filter(p -> p.getFileName().toString().endsWith(".cq4")
                    || p.getFileName().toString().endsWith(".cq4t")).toList();
        }
        if (files.isEmpty()) {
            return;
        }
        Files.createDirectories(queueDir);
        for (Path f : files) { // one by one: a crash part-way leaves the rest for the next start
            Path target = queueDir.resolve(f.getFileName());
            if (Files.exists(target)) {
                Files.delete(f); // moved before (the queue's own copy, perhaps newer, stays)
            } else {
                Files.move(f, target);
            }
        }
        LOG.info("journal {}: moved {} files of the earlier layout into {}", directory, files.size(), queueDir);
    }

    /** Marks a compacted copy as whole: only such a copy takes the queue's place after a crash. */
    private static final String COMPLETE = "praas-compaction-complete";

    /** What a replay hands back, in the order the changes happened. */
    public interface Replay {
        void put(String session, String key, byte[] value);

        void delete(String session, String key);

        void sessionOpened(String session);

        void sessionClosed(String session);

        void mailboxPut(long seq, String from, String key, byte[] data);

        void mailboxTake(long seq);
    }

    /** Replays every recorded change; returns how many. */
    public synchronized long replay(Replay into) {
        long n = 0;
        long read = 0;
        ExcerptTailer tailer = queue.createTailer().toStart();
        tailer.singleThreadedCheckDisabled(true);
        while (true) {
            try (DocumentContext dc = tailer.readingDocument()) {
                if (!dc.isPresent()) {
                    break;
                }
                Bytes<?> in = dc.wire().bytes();
                read += in.readRemaining();
                Header h = Header.read(in);
                switch (h.kind()) {
                    case MAILBOX_TAKE -> into.mailboxTake(h.seq());
                    case MAILBOX_PUT -> into.mailboxPut(h.seq(), h.owner(), h.key(), Header.payload(in));
                    case PUT -> into.put(h.owner(), h.key(), Header.payload(in));
                    case DELETE -> into.delete(h.owner(), h.key());
                    case SESSION_OPENED -> into.sessionOpened(h.owner());
                    default -> into.sessionClosed(h.owner()); // SESSION_CLOSED (Header.read knows no other)
                }
                n++;
            }
        }
        bytes = read;
        return n;
    }

    /** How many changes the journal holds (none after {@link #truncate}). */
    public synchronized long entries() {
        long n = 0;
        ExcerptTailer tailer = queue.createTailer().toStart();
        tailer.singleThreadedCheckDisabled(true);
        while (true) {
            try (DocumentContext dc = tailer.readingDocument()) {
                if (!dc.isPresent()) {
                    return n;
                }
                n++;
            }
        }
    }

    /** Bytes of the changes the journal holds (their payloads, not the files' size). */
    public synchronized long bytes() {
        return bytes;
    }

    @Override
    public void put(String session, String key, byte[] value) {
        append(out -> out.writeByte(PUT).writeUtf8(session).writeUtf8(key).writeInt(value.length).write(value));
    }

    @Override
    public void delete(String session, String key) {
        append(out -> out.writeByte(DELETE).writeUtf8(session).writeUtf8(key));
    }

    @Override
    public void sessionOpened(String session) {
        append(out -> out.writeByte(SESSION_OPENED).writeUtf8(session));
    }

    @Override
    public void sessionClosed(String session) {
        append(out -> out.writeByte(SESSION_CLOSED).writeUtf8(session));
    }

    @Override
    public void mailboxPut(long seq, String from, String key, byte[] data) {
        append(out -> out.writeByte(MAILBOX_PUT).writeLong(seq).writeUtf8(from).writeUtf8(key).writeInt(data.length)
                .write(data));
    }

    @Override
    public void mailboxTake(long seq) {
        append(out -> out.writeByte(MAILBOX_TAKE).writeLong(seq));
    }

    /** Appends one record {@code write} puts into the document, and counts its bytes. */
    private synchronized void append(java.util.function.Consumer<Bytes<?>> write) {
        try (DocumentContext dc = appender.writingDocument()) {
            Bytes<?> out = dc.wire().bytes();
            long at = out.writePosition();
            write.accept(out);
            appended(out.writePosition() - at);
        }
    }

    /**
     * A record's fields before its payload (the value of a PUT, the data of a MAILBOX_PUT, each after
     * its length): what a replay and a compaction's liveness read of it. {@code owner} is the session
     * ("" for process state) of a state or session record, the sender of a message.
     */
    private record Header(byte kind, long seq, String owner, String key) {
        static Header read(Bytes<?> in) {
            byte kind = in.readByte();
            return switch (kind) {
                case MAILBOX_TAKE -> new Header(kind, in.readLong(), "", "");
                case MAILBOX_PUT -> {
                    long seq = in.readLong();
                    String from = in.readUtf8();
                    yield new Header(kind, seq, from, in.readUtf8());
                }
                case PUT, DELETE -> {
                    String session = in.readUtf8();
                    yield new Header(kind, 0, session, in.readUtf8());
                }
                case SESSION_OPENED, SESSION_CLOSED -> new Header(kind, 0, in.readUtf8(), "");
                default -> throw new IllegalStateException("unknown journal record " + kind);
            };
        }

        /** The payload that follows the header of a PUT or a MAILBOX_PUT. */
        static byte[] payload(Bytes<?> in) {
            byte[] b = new byte[in.readInt()];
            in.read(b);
            return b;
        }
    }

    /** Counts an appended record; past the threshold, starts a compaction in the background. Holds the lock. */
    private void appended(long recordBytes) {
        bytes += recordBytes;
        if (compactFloor > 0 && bytes >= compactAt && !compacting && !closed) {
            compacting = true;
            int from = epoch;
            try {
                Thread t = new Thread(() -> compactInBackground(from), "praas-journal-compact");
                t.setDaemon(true);
                t.start();
            } catch (RuntimeException | OutOfMemoryError e) { // no thread: the write stands, the compaction waits
                compacting = false;
                compactAt = 2 * bytes;
                LOG.warn("journal {}: could not start a compaction: {}", directory, e.toString());
            }
        }
    }

    private void compactInBackground(int from) {
        try {
            compact(from);
        } catch (RuntimeException | Error e) {
            LOG.error("journal {}: compaction failed, the journal stays as it was: {}", directory, e.toString());
            synchronized (this) {
                compactAt = Math.max(compactAt, 2 * bytes); // not again on the next append
            }
        } finally {
            synchronized (this) {
                compacting = false;
            }
        }
    }

    /**
     * Compacts the journal now (see the class comment); false when it was emptied or closed meanwhile,
     * or another compaction runs. Appends may go on meanwhile.
     */
    public boolean compact() {
        int from;
        synchronized (this) {
            if (compacting || closed) {
                return false;
            }
            compacting = true;
            from = epoch;
        }
        try {
            return compact(from);
        } finally {
            synchronized (this) {
                compacting = false;
            }
        }
    }

    private boolean compact(int from) {
        long started = System.nanoTime();
        ChronicleQueue source;
        synchronized (this) {
            if (epoch != from || closed) {
                return false;
            }
            source = queue;
        }
        deleteFiles(compactingDir);
        ChronicleQueue copy = ChronicleQueue.singleBuilder(compactingDir).build();
        boolean switched = false;
        try (ExcerptAppender out = copy.createAppender()) {
            long before;
            long kept = 0;
            long keptBytes = 0;
            ExcerptTailer tailer;
            reading.lock();
            try {
                // Pass 1: which records a replay still needs. Pass 2: copy those, in order.
                Liveness live = new Liveness();
                ExcerptTailer scan = source.createTailer().toStart();
                while (true) {
                    if (epoch != from || closed) {
                        return false;
                    }
                    try (DocumentContext dc = scan.readingDocument()) {
                        if (!dc.isPresent()) {
                            break;
                        }
                        live.see(Header.read(dc.wire().bytes()));
                    }
                }
                scan.close();
                before = live.records;
                tailer = source.createTailer().toStart();
                for (long i = 0; i < before; i++) {
                    if (epoch != from || closed) {
                        tailer.close();
                        return false;
                    }
                    try (DocumentContext dc = tailer.readingDocument()) {
                        if (!dc.isPresent()) {
                            throw new IllegalStateException("record " + i + " of " + before + " is gone");
                        }
                        Bytes<?> in = dc.wire().bytes();
                        long at = in.readPosition();
                        Header h = Header.read(in);
                        in.readPosition(at); // a kept record is copied whole
                        if (live.needed(i, h)) {
                            keptBytes += copy(in, out);
                            kept++;
                        }
                    }
                }
            } finally {
                reading.unlock();
            }
            synchronized (this) {
                try {
                    if (epoch != from || closed) {
                        return false;
                    }
                    // The tail appended meanwhile, as it is; then the copy takes the queue's place.
                    long tail = 0;
                    long tailBytes = 0;
                    while (true) {
                        try (DocumentContext dc = tailer.readingDocument()) {
                            if (!dc.isPresent()) {
                                break;
                            }
                            tailBytes += copy(dc.wire().bytes(), out);
                            tail++;
                        }
                    }
                    long beforeBytes = bytes;
                    out.close();
                    copy.close();
                    Files.createFile(compactingDir.resolve(COMPLETE));
                    appender.close();
                    queue.close();
                    Files.move(queueDir, oldDir, StandardCopyOption.ATOMIC_MOVE);
                    try {
                        Files.move(compactingDir, queueDir, StandardCopyOption.ATOMIC_MOVE);
                    } catch (IOException e) {
                        Files.move(oldDir, queueDir, StandardCopyOption.ATOMIC_MOVE);
                        throw e;
                    }
                    switched = true;
                    try {
                        open();
                    } catch (RuntimeException e) {
                        // The copy is in place and whole, and the next start takes it; until then
                        // writes fail (not acknowledged), as the log says.
                        closed = true;
                        LOG.error("journal {}: the compacted queue did not open; writes fail until the process "
                                + "restarts", directory, e);
                        throw e;
                    }
                    Files.deleteIfExists(queueDir.resolve(COMPLETE));
                    bytes = keptBytes + tailBytes;
                    // Twice what the compaction kept of what it read: a long tail appended meanwhile
                    // (not compacted) is compacted by the next, which may then start at once.
                    compactAt = Math.max(compactFloor, 2 * keptBytes);
                    LOG.info("journal {} compacted: {} changes ({} bytes) to {} ({} bytes) in {} ms", directory,
                            before + tail, beforeBytes, kept + tail, keptBytes + tailBytes,
                            (System.nanoTime() - started) / 1_000_000);
                    return true;
                } catch (IOException e) {
                    if (!switched && queue.isClosed()) {
                        if (Files.exists(queueDir)) {
                            open(); // the queue, as it was (moved back if it had been moved)
                        } else {
                            // Neither move back nor forward: appends fail (they are not acknowledged)
                            // and the next start takes the complete copy (recoverInterruptedCompaction).
                            closed = true;
                            switched = true; // keep the copy
                        }
                    }
                    throw new UncheckedIOException("cannot switch the journal " + directory + " to its compacted copy", e);
                } finally {
                    tailer.close();
                }
            }
        } finally {
            if (!switched) {
                copy.close();
                deleteFiles(compactingDir);
            }
            deleteFiles(oldDir); // outside the lock: appends do not wait for it
        }
    }

    /** Appends the record {@code in} holds to {@code out}; returns its bytes. */
    private static long copy(Bytes<?> in, ExcerptAppender out) {
        byte[] record = new byte[(int) in.readRemaining()];
        in.read(record);
        try (DocumentContext dc = out.writingDocument()) {
            dc.wire().bytes().write(record);
        }
        return record.length;
    }

    /**
     * Which records of a journal a replay still needs, by their place in it: the last write of each
     * key, unless its session was closed after it; a session's last closing and what followed it;
     * each message's last take, and its last put unless a take followed. A session or message the
     * journal itself begins (its first record opens it, or puts it: the snapshot before has none)
     * keeps nothing of itself once it is closed or taken, not even that.
     */
    private static final class Liveness {
        private final Map<String, Long> lastWrite = new HashMap<>();
        private final Map<String, Long> lastClose = new HashMap<>();
        private final Map<String, Long> lastOpen = new HashMap<>();
        private final Map<Long, Long> lastPut = new HashMap<>();
        private final Map<Long, Long> lastTake = new HashMap<>();
        /** Sessions whose first record opens them, messages whose first record puts them. */
        private final java.util.Set<String> bornSessions = new java.util.HashSet<>();
        private final java.util.Set<String> seenSessions = new java.util.HashSet<>();
        private final java.util.Set<Long> bornMessages = new java.util.HashSet<>();
        long records;

        void see(Header h) {
            long i = records++;
            switch (h.kind()) {
                case MAILBOX_PUT -> {
                    if (!lastPut.containsKey(h.seq()) && !lastTake.containsKey(h.seq())) {
                        bornMessages.add(h.seq());
                    }
                    lastPut.put(h.seq(), i);
                }
                case MAILBOX_TAKE -> lastTake.put(h.seq(), i);
                case PUT, DELETE -> {
                    seenSessions.add(h.owner());
                    lastWrite.put(keyOf(h.owner(), h.key()), i);
                }
                case SESSION_CLOSED -> {
                    seenSessions.add(h.owner());
                    lastClose.put(h.owner(), i);
                }
                default -> { // SESSION_OPENED
                    if (seenSessions.add(h.owner())) {
                        bornSessions.add(h.owner());
                    }
                    lastOpen.put(h.owner(), i);
                }
            }
        }

        boolean needed(long i, Header h) {
            String session = h.owner();
            return switch (h.kind()) {
                case MAILBOX_PUT -> lastPut.get(h.seq()) == i && lastTake.getOrDefault(h.seq(), -1L) < i;
                case MAILBOX_TAKE -> !bornMessages.contains(h.seq()) && lastTake.get(h.seq()) == i;
                case PUT, DELETE -> lastWrite.get(keyOf(session, h.key())) == i
                        && (session.isEmpty() || lastClose.getOrDefault(session, -1L) < i)
                        && (!bornSessions.contains(session) || (lastOpen.get(session) < i
                                && lastOpen.get(session) > lastClose.getOrDefault(session, -1L)));
                case SESSION_CLOSED -> !bornSessions.contains(session) && lastClose.get(session) == i;
                default -> lastClose.getOrDefault(session, -1L) < i; // SESSION_OPENED: the one after the last closing
            };
        }

        private static String keyOf(String session, String key) {
            return session + '\u0000' + key;
        }
    }

    /** Empties the journal: its changes are all in a committed snapshot now. */
    public synchronized void truncate() {
        epoch++;
        closeQueue();
        deleteFiles(queueDir);
        open();
        bytes = 0;
        LOG.info("journal {} truncated after a committed snapshot", directory);
    }

    @Override
    public synchronized void close() {
        closed = true;
        epoch++;
        closeQueue();
    }

    /** Closes the queue once a compaction reading it has seen that it must stop. Holds the lock. */
    private void closeQueue() {
        reading.lock();
        try {
            appender.close();
            queue.close();
        } finally {
            reading.unlock();
        }
    }

    /** Removes a journal directory and its files. */
    public static void deleteFiles(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the journal " + directory, e);
        }
    }
}
