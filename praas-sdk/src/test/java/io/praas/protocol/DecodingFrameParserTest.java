package io.praas.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link FrameParser#decoding}: frames come out decoded, large payloads are read straight into
 * their arrays whatever the chunking, bad bodies are reported per frame, Netty buffers are released.
 */
class DecodingFrameParserTest {
    private final List<Frame> frames = new ArrayList<>();
    private final List<ProtocolException> malformed = new ArrayList<>();
    private final List<ProtocolException> fatal = new ArrayList<>();

    private FrameParser parser() {
        return parser(FrameCodec.DEFAULT_MAX_FRAME_BYTES);
    }

    private FrameParser parser(long maxFrameBytes) {
        return FrameParser.decoding(maxFrameBytes, frames::add, malformed::add, fatal::add);
    }

    private FrameParser parser(FrameParser.Reservations budget) {
        return FrameParser.decoding(FrameCodec.DEFAULT_MAX_FRAME_BYTES, frames::add, malformed::add, fatal::add, budget);
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    /** Frames of every payload-bearing type, small and large, and a frame without a payload between them. */
    private static List<Message> mixed() {
        return List.of(
                new Message.Invoke("echo", "s-1", 5_000, random(100 * 1024, 1)),
                new Message.Ok(),
                new Message.Result(random(FrameParser.DIRECT_PAYLOAD_BYTES, 2)),
                new Message.Ping(random(10, 3)),
                new Message.Pong(random(70_000, 4)),
                new Message.PeerMessage("p-1", "partial-sums", random(1024 * 1024 + 3, 5)),
                new Message.Invoke("ünïcode-fn", "", 1, new byte[0]),
                new Message.Result(random(FrameParser.DIRECT_PAYLOAD_BYTES - FrameCodec.HEADER_BYTES - 1, 6)),
                new Message.Error(ErrorCode.TIMEOUT, "late"));
    }

    private static Buffer wire(List<Message> messages) {
        Buffer all = Buffer.buffer();
        for (int i = 0; i < messages.size(); i++) {
            all.appendBuffer(FrameCodec.encode(i + 1, messages.get(i)));
        }
        return all;
    }

    private void assertDecoded(List<Message> sent) {
        assertThat(fatal).isEmpty();
        assertThat(malformed).isEmpty();
        assertThat(frames).hasSize(sent.size());
        for (int i = 0; i < sent.size(); i++) {
            assertThat(frames.get(i).requestId()).isEqualTo(i + 1);
            // Messages are records: equal when every field is, byte arrays compared by content below.
            assertThat(FrameCodec.encode(i + 1, frames.get(i).message()).getBytes())
                    .isEqualTo(FrameCodec.encode(i + 1, sent.get(i)).getBytes());
        }
    }

    /** Feeds {@code wire} to the parser in pooled direct Netty buffers of the given sizes, as a socket does. */
    private static List<ByteBuf> feed(FrameParser parser, Buffer wire, int... sizes) {
        List<ByteBuf> fed = new ArrayList<>();
        int pos = 0;
        int i = 0;
        while (pos < wire.length()) {
            int n = Math.min(sizes[i++ % sizes.length], wire.length() - pos);
            ByteBuf chunk = PooledByteBufAllocator.DEFAULT.directBuffer(n);
            chunk.writeBytes(wire.getBytes(pos, pos + n));
            fed.add(chunk);
            parser.onMessage(chunk);
            pos += n;
        }
        return fed;
    }

    @Test
    void wholeStreamInOneChunkDecodesEveryFrame() {
        List<Message> sent = mixed();
        parser().handle(wire(sent));
        assertDecoded(sent);
    }

    @Test
    void socketSizedChunksDecodeEveryFrameAndAreReleased() {
        List<Message> sent = mixed();
        List<ByteBuf> fed = feed(parser(), wire(sent), 65_536, 2_048, 7, 65_536);
        assertDecoded(sent);
        assertThat(fed).allSatisfy(b -> assertThat(b.refCnt()).isZero());
    }

    @Test
    void randomChunkingDecodesEveryFrame() {
        List<Message> sent = mixed();
        Buffer wire = wire(sent);
        SplittableRandom r = new SplittableRandom(42);
        for (int round = 0; round < 20; round++) {
            frames.clear();
            FrameParser parser = parser();
            int pos = 0;
            while (pos < wire.length()) {
                int n = Math.min(1 + r.nextInt(r.nextBoolean() ? 40 : 90_000), wire.length() - pos);
                parser.handle(wire.getBuffer(pos, pos + n));
                pos += n;
            }
            assertDecoded(sent);
        }
    }

    @Test
    void largeInvokeSplitAtEveryByteOfItsHeadDecodes() {
        Message.Invoke invoke = new Message.Invoke("function-with-a-long-name", "session-7", 30_000,
                random(20_000, 9));
        Buffer wire = FrameCodec.encode(1, invoke);
        int headEnd = FrameCodec.HEADER_BYTES + 2 + 25 + 2 + 9 + 4 + 3;
        for (int cut = 1; cut < headEnd; cut++) {
            frames.clear();
            FrameParser parser = parser();
            parser.handle(wire.getBuffer(0, cut));
            assertThat(frames).isEmpty();
            parser.handle(wire.getBuffer(cut, wire.length()));
            assertDecoded(List.of(invoke));
        }
    }

    @Test
    void largeFrameFedOneByteAtATimeDecodes() {
        Message.PeerMessage m = new Message.PeerMessage("a", "k", random(FrameParser.DIRECT_PAYLOAD_BYTES * 2, 11));
        Buffer wire = FrameCodec.encode(1, m);
        FrameParser parser = parser();
        for (int i = 0; i < wire.length(); i++) {
            parser.handle(wire.getBuffer(i, i + 1));
        }
        assertDecoded(List.of(m));
    }

    @Test
    void largeFrameWhoseStringOverrunsTheFrameIsMalformedAndTheNextFrameStillDecodes() {
        // An INVOKE whose function name claims more bytes than the whole frame holds.
        Buffer bad = Buffer.buffer().appendUnsignedInt(FrameCodec.MIN_LENGTH + 2 + 20_000).appendByte((byte) 1)
                .appendByte((byte) MessageType.INVOKE).appendUnsignedShort(0).appendLong(5)
                .appendUnsignedShort(60_000).appendBytes(new byte[20_000]);
        Message.Result next = new Message.Result(random(30_000, 12));
        Buffer wire = bad.copy().appendBuffer(FrameCodec.encode(6, next));
        feed(parser(), wire, 1_000);
        assertThat(fatal).isEmpty();
        assertThat(malformed).singleElement().satisfies(e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
            assertThat(e.requestId()).isEqualTo(5);
        });
        assertThat(frames).singleElement().satisfies(f -> assertThat(f.requestId()).isEqualTo(6));
    }

    @Test
    void largeFrameOfATypeWithoutPayloadIsDecodedWhole() {
        Message.Error e = new Message.Error(ErrorCode.FUNCTION_FAILED, "x".repeat(40_000));
        feed(parser(), FrameCodec.encode(3, e), 4_096);
        assertThat(frames).singleElement().satisfies(f -> assertThat(f.message()).isEqualTo(e));
    }

    @Test
    void unknownTypeInALargeFrameIsReportedWithItsRequestId() {
        Buffer wire = Buffer.buffer().appendUnsignedInt(FrameCodec.MIN_LENGTH + 50_000).appendByte((byte) 1)
                .appendByte((byte) 0x70).appendUnsignedShort(0).appendLong(9).appendBytes(new byte[50_000]);
        feed(parser(), wire, 8_192);
        assertThat(malformed).singleElement().satisfies(e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_TYPE);
            assertThat(e.requestId()).isEqualTo(9);
        });
    }

    @Test
    void frameOverTheLimitIsFatalBeforeAnyPayloadIsReserved() {
        FrameParser parser = parser(64 * 1024);
        parser.handle(Buffer.buffer().appendUnsignedInt(64 * 1024 + 1));
        assertThat(fatal).singleElement().satisfies(e -> assertThat(e.code()).isEqualTo(ErrorCode.FRAME_TOO_LARGE));
        parser.handle(FrameCodec.encode(1, new Message.Ok()));
        assertThat(frames).isEmpty();
    }

    @Test
    void largeFramesAreReservedUpFrontOnlyWhileTheSharedBudgetHasRoom() {
        FrameParser.Reservations budget = new FrameParser.Reservations(3 * 1024 * 1024);
        List<Frame> second = new ArrayList<>();
        FrameParser a = parser(budget);
        FrameParser b = FrameParser.decoding(FrameCodec.DEFAULT_MAX_FRAME_BYTES, second::add, malformed::add, fatal::add, budget);
        Message.PeerMessage big = new Message.PeerMessage("p-1", "k", random(2 * 1024 * 1024, 21));
        Buffer wire = FrameCodec.encode(1, big);

        // Each announces a 2 MiB frame and sends 100 bytes of it: only the first fits the 3 MiB budget.
        a.handle(wire.getBuffer(0, 100));
        assertThat(budget.inUse()).isEqualTo(wire.length());
        b.handle(wire.getBuffer(0, 100));
        assertThat(budget.inUse()).isEqualTo(wire.length());

        // Both frames still arrive whole; finished frames give their reservation back.
        b.handle(wire.getBuffer(100, wire.length()));
        a.handle(wire.getBuffer(100, wire.length()));
        assertDecoded(List.of(big));
        assertThat(second).singleElement().satisfies(f ->
                assertThat(((Message.PeerMessage) f.message()).data()).isEqualTo(big.data()));
        assertThat(budget.inUse()).isZero();

        // Small frames are never counted.
        a.handle(FrameCodec.encode(2, new Message.Result(random(60 * 1024, 22))).getBuffer(0, 10));
        assertThat(budget.inUse()).isZero();
    }

    @Test
    void releaseGivesBackTheReservationOfAFrameCutOffByAClose() {
        FrameParser.Reservations budget = new FrameParser.Reservations(64L * 1024 * 1024);
        FrameParser parser = parser(budget);
        // A frame of a type without payload (unknown here) takes the assembling path, a payload type
        // the direct one: both give back.
        Buffer unknown = Buffer.buffer().appendUnsignedInt(FrameCodec.MIN_LENGTH + 200_000).appendByte((byte) 1)
                .appendByte((byte) 0x70).appendUnsignedShort(0).appendLong(1).appendBytes(new byte[200_000]);
        parser.handle(unknown.getBuffer(0, 1_000));
        assertThat(budget.inUse()).isEqualTo(unknown.length());
        parser.release();
        assertThat(budget.inUse()).isZero();

        Buffer result = FrameCodec.encode(2, new Message.Result(random(500_000, 23)));
        parser.handle(result.getBuffer(0, 1_000));
        assertThat(budget.inUse()).isEqualTo(result.length());
        parser.release();
        assertThat(budget.inUse()).isZero();

        // The parser is ready for the next frame after a release.
        parser.handle(result);
        assertThat(frames).singleElement().satisfies(f -> assertThat(f.requestId()).isEqualTo(2));
        assertThat(budget.inUse()).isZero();
    }

    @Test
    void aFatalErrorGivesBackTheReservation() {
        FrameParser.Reservations budget = new FrameParser.Reservations(64L * 1024 * 1024);
        FrameParser parser = parser(budget);
        Buffer result = FrameCodec.encode(2, new Message.Result(random(500_000, 24)));
        parser.handle(result.getBuffer(0, 1_000));
        assertThat(budget.inUse()).isPositive();
        parser.maxFrameBytes(64 * 1024);
        parser.handle(result.getBuffer(1_000, result.length())); // completes the frame under the old limit
        assertThat(budget.inUse()).isZero();
        parser.handle(Buffer.buffer().appendUnsignedInt(10_000_000)); // over the new limit: fatal
        assertThat(fatal).singleElement().satisfies(e -> assertThat(e.code()).isEqualTo(ErrorCode.FRAME_TOO_LARGE));
        assertThat(budget.inUse()).isZero();
    }

    @Test
    void sharedPayloadFrameHasTheSameBytesAsACopiedOne() {
        for (Message m : mixed()) {
            assertThat(FrameCodec.encodeSharingPayload(4, m).getBytes()).isEqualTo(FrameCodec.encode(4, m).getBytes());
        }
    }

    @Test
    void sharedPayloadFrameRefersToTheCallersArray() {
        byte[] input = random(FrameCodec.SHARED_PAYLOAD_BYTES, 13);
        Buffer frame = FrameCodec.encodeSharingPayload(1, new Message.Invoke("f", "", 1, input));
        input[0] ^= 1;
        Message.Invoke decoded = (Message.Invoke) FrameCodec.decode(frame).message();
        assertThat(decoded.input()[0]).isEqualTo(input[0]);
        assertThat(new String(FrameCodec.encodeSharingPayload(1, new Message.Ping("x".getBytes(StandardCharsets.UTF_8)))
                .getBytes(FrameCodec.HEADER_BYTES, FrameCodec.HEADER_BYTES + 1), StandardCharsets.UTF_8)).isEqualTo("x");
    }
}
