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
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A process's write-ahead journal of state, session and mailbox changes on local disk, in a Chronicle
 * Queue (memory-mapped files). Every change is appended before the invocation that made it is
 * acknowledged, so a process killed with SIGKILL restarts from its last snapshot plus this journal
 * and loses nothing it acknowledged. (It survives the process, not the machine: the pages are the
 * operating system's until it writes them out.) The journal is emptied after each committed swap
 * snapshot, which holds everything it did.
 */
public final class Journal implements StateJournal, Mailbox.Journal, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Journal.class);
    private static final byte PUT = 1;
    private static final byte DELETE = 2;
    private static final byte SESSION_OPENED = 3;
    private static final byte SESSION_CLOSED = 4;
    private static final byte MAILBOX_PUT = 5;
    private static final byte MAILBOX_TAKE = 6;

    private final Path directory;
    private ChronicleQueue queue;
    private ExcerptAppender appender;

    private Journal(Path directory) {
        this.directory = directory;
        open();
    }

    /** Opens (or creates) the journal in {@code directory}. */
    public static Journal open(Path directory) {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the journal directory " + directory, e);
        }
        return new Journal(directory);
    }

    private void open() {
        queue = ChronicleQueue.singleBuilder(directory).build();
        appender = queue.createAppender();
        appender.singleThreadedCheckDisabled(true); // every use is under this journal's lock
    }

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
        ExcerptTailer tailer = queue.createTailer().toStart();
        tailer.singleThreadedCheckDisabled(true);
        while (true) {
            try (DocumentContext dc = tailer.readingDocument()) {
                if (!dc.isPresent()) {
                    break;
                }
                Bytes<?> in = dc.wire().bytes();
                byte kind = in.readByte();
                if (kind == MAILBOX_TAKE) {
                    into.mailboxTake(in.readLong());
                    n++;
                    continue;
                }
                if (kind == MAILBOX_PUT) {
                    long seq = in.readLong();
                    String from = in.readUtf8();
                    String key = in.readUtf8();
                    byte[] data = new byte[in.readInt()];
                    in.read(data);
                    into.mailboxPut(seq, from, key, data);
                    n++;
                    continue;
                }
                String session = in.readUtf8();
                switch (kind) {
                    case PUT -> {
                        String key = in.readUtf8();
                        byte[] value = new byte[in.readInt()];
                        in.read(value);
                        into.put(session, key, value);
                    }
                    case DELETE -> into.delete(session, in.readUtf8());
                    case SESSION_OPENED -> into.sessionOpened(session);
                    case SESSION_CLOSED -> into.sessionClosed(session);
                    default -> throw new IllegalStateException("unknown journal record " + kind);
                }
                n++;
            }
        }
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

    @Override
    public synchronized void put(String session, String key, byte[] value) {
        try (DocumentContext dc = appender.writingDocument()) {
            Bytes<?> out = dc.wire().bytes();
            out.writeByte(PUT).writeUtf8(session).writeUtf8(key).writeInt(value.length).write(value);
        }
    }

    @Override
    public synchronized void delete(String session, String key) {
        try (DocumentContext dc = appender.writingDocument()) {
            dc.wire().bytes().writeByte(DELETE).writeUtf8(session).writeUtf8(key);
        }
    }

    @Override
    public synchronized void sessionOpened(String session) {
        try (DocumentContext dc = appender.writingDocument()) {
            dc.wire().bytes().writeByte(SESSION_OPENED).writeUtf8(session);
        }
    }

    @Override
    public synchronized void sessionClosed(String session) {
        try (DocumentContext dc = appender.writingDocument()) {
            dc.wire().bytes().writeByte(SESSION_CLOSED).writeUtf8(session);
        }
    }

    @Override
    public synchronized void mailboxPut(long seq, String from, String key, byte[] data) {
        try (DocumentContext dc = appender.writingDocument()) {
            dc.wire().bytes().writeByte(MAILBOX_PUT).writeLong(seq).writeUtf8(from).writeUtf8(key)
                    .writeInt(data.length).write(data);
        }
    }

    @Override
    public synchronized void mailboxTake(long seq) {
        try (DocumentContext dc = appender.writingDocument()) {
            dc.wire().bytes().writeByte(MAILBOX_TAKE).writeLong(seq);
        }
    }

    /** Empties the journal: its changes are all in a committed snapshot now. */
    public synchronized void truncate() {
        close();
        deleteFiles(directory);
        open();
        LOG.info("journal {} truncated after a committed snapshot", directory);
    }

    @Override
    public synchronized void close() {
        appender.close();
        queue.close();
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
