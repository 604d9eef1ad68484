package io.praas.protocol;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** How {@link FrameParser} cuts a TCP byte stream into whole frames (PROTOCOL.md, "Frame" and rule 2). */
class FrameParserTest {

    private static final int ONE_MIB = 1024 * 1024;

    private final List<Buffer> frames = new ArrayList<>();
    private final List<ProtocolException> fatalErrors = new ArrayList<>();

    private FrameParser parser(long maxFrameBytes) {
        return new FrameParser(maxFrameBytes, frame -> frames.add(frame.copy()), fatalErrors::add);
    }

    private FrameParser parser() {
        return parser(FrameCodec.DEFAULT_MAX_FRAME_BYTES);
    }

    /** Three different frames: a HELLO, an INVOKE with a payload, and an empty-bodied OK. */
    private static List<Buffer> threeFrames() {
        return List.of(
                FrameCodec.encode(1, new Message.Hello("shop", "praas1.token", "", "praas-java/0.1.0")),
                FrameCodec.encode(2, new Message.Invoke("add-to-cart", "cart-42", 5_000,
                        "{\"item\":\"book\"}".getBytes(StandardCharsets.UTF_8))),
                FrameCodec.encode(3, new Message.Ok()));
    }

    private static Buffer concat(List<Buffer> parts) {
        Buffer all = Buffer.buffer();
        parts.forEach(all::appendBuffer);
        return all;
    }

    private List<byte[]> receivedBytes() {
        return frames.stream().map(Buffer::getBytes).toList();
    }

    private static List<byte[]> bytesOf(List<Buffer> buffers) {
        return buffers.stream().map(Buffer::getBytes).toList();
    }

    /** A frame header announcing {@code length} bytes after the length field, with no body yet. */
    private static Buffer header(long length, long requestId) {
        return Buffer.buffer().appendUnsignedInt(length).appendByte((byte) 1).appendByte((byte) MessageType.PING)
                .appendUnsignedShort(0).appendLong(requestId);
    }

    // ------------------------------------------------------------------------------------------

    @Test
    void wholeFrameInOneChunkIsDeliveredWithItsLengthField() {
        Buffer wire = FrameCodec.encode(7, new Message.Ping(new byte[] {1, 2, 3}));

        parser().handle(wire);

        assertThat(receivedBytes()).containsExactly(wire.getBytes());
        assertThat(FrameCodec.decode(frames.get(0)).requestId()).isEqualTo(7);
        assertThat(fatalErrors).isEmpty();
    }

    @Test
    void severalFramesInOneChunkComeOutWholeAndInOrder() {
        List<Buffer> sent = threeFrames();

        parser().handle(concat(sent));

        assertThat(receivedBytes()).containsExactlyElementsOf(bytesOf(sent));
        assertThat(frames).extracting(f -> FrameCodec.decode(f).requestId()).containsExactly(1L, 2L, 3L);
    }

    @Test
    void streamFedOneByteAtATimeComesOutWholeAndInOrder() {
        List<Buffer> sent = threeFrames();
        Buffer stream = concat(sent);
        FrameParser parser = parser();

        for (int i = 0; i < stream.length(); i++) {
            parser.handle(stream.slice(i, i + 1));
        }

        assertThat(receivedBytes()).containsExactlyElementsOf(bytesOf(sent));
        assertThat(fatalErrors).isEmpty();
    }

    @Test
    void streamSplitInTwoAtEveryByteBoundaryComesOutWholeAndInOrder() {
        List<Buffer> sent = threeFrames();
        Buffer stream = concat(sent);

        for (int cut = 0; cut <= stream.length(); cut++) {
            frames.clear();
            FrameParser parser = parser();

            parser.handle(stream.slice(0, cut));
            parser.handle(stream.slice(cut, stream.length()));

            assertThat(receivedBytes()).as("cut at byte %d", cut).containsExactlyElementsOf(bytesOf(sent));
        }
        assertThat(fatalErrors).isEmpty();
    }

    @Test
    void streamInRandomChunkSizesComesOutWholeAndInOrder() {
        List<Buffer> sent = threeFrames();
        Buffer stream = concat(sent);
        Random random = new Random(20240611L);

        for (int round = 0; round < 200; round++) {
            frames.clear();
            FrameParser parser = parser();
            int pos = 0;
            while (pos < stream.length()) {
                int size = Math.min(1 + random.nextInt(40), stream.length() - pos);
                parser.handle(stream.slice(pos, pos + size));
                pos += size;
            }

            assertThat(receivedBytes()).as("round %d", round).containsExactlyElementsOf(bytesOf(sent));
        }
        assertThat(fatalErrors).isEmpty();
    }

    @Test
    void frameIsDeliveredOnlyWhenItsLastByteArrives() {
        Buffer wire = FrameCodec.encode(9, new Message.Result(new byte[] {4, 5, 6}));
        FrameParser parser = parser();

        parser.handle(wire.slice(0, wire.length() - 1));
        assertThat(frames).isEmpty();

        parser.handle(wire.slice(wire.length() - 1, wire.length()));
        assertThat(receivedBytes()).containsExactly(wire.getBytes());
    }

    @Test
    void chunkEndingInsideTheNextLengthFieldKeepsThoseBytes() {
        List<Buffer> sent = threeFrames();
        Buffer stream = concat(sent);
        int cut = sent.get(0).length() + 2;   // first frame plus half of the second one's length field
        FrameParser parser = parser();

        parser.handle(stream.slice(0, cut));
        assertThat(receivedBytes()).containsExactly(sent.get(0).getBytes());

        parser.handle(stream.slice(cut, stream.length()));
        assertThat(receivedBytes()).containsExactlyElementsOf(bytesOf(sent));
    }

    @Test
    void emptyChunksAreHarmless() {
        Buffer wire = FrameCodec.encode(1, new Message.Ok());
        FrameParser parser = parser();

        parser.handle(Buffer.buffer());
        parser.handle(wire.slice(0, 3));
        parser.handle(Buffer.buffer());
        parser.handle(wire.slice(3, 10));
        parser.handle(Buffer.buffer());
        parser.handle(wire.slice(10, wire.length()));

        assertThat(receivedBytes()).containsExactly(wire.getBytes());
        assertThat(fatalErrors).isEmpty();
    }

    @Test
    void smallestFrameOfTwelveBytesIsAccepted() {
        Buffer ok = FrameCodec.encode(1, new Message.Ok());

        parser().handle(ok);

        assertThat(ok.getInt(0)).isEqualTo(12);
        assertThat(frames).hasSize(1);
        assertThat(fatalErrors).isEmpty();
    }

    @Test
    void lengthUnderTwelveIsFatalMalformedWithRequestIdZero() {
        FrameParser parser = parser();

        parser.handle(Buffer.buffer().appendInt(11).appendBytes(new byte[11]));

        assertThat(frames).isEmpty();
        assertThat(fatalErrors).singleElement().satisfies(e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
            assertThat(e.requestId()).isZero();
            assertThat(e.fatal()).isTrue();
        });
    }

    @Test
    void zeroLengthIsFatalMalformed() {
        parser().handle(Buffer.buffer().appendInt(0));

        assertThat(fatalErrors).singleElement()
                .extracting(ProtocolException::code).isEqualTo(ErrorCode.MALFORMED_FRAME);
    }

    @Test
    void inputAfterALengthUnderTwelveIsIgnored() {
        FrameParser parser = parser();
        parser.handle(Buffer.buffer().appendInt(5));

        parser.handle(FrameCodec.encode(1, new Message.Ok()));
        parser.handle(concat(threeFrames()));

        assertThat(frames).isEmpty();
        assertThat(fatalErrors).hasSize(1);
    }

    @Test
    void framesBeforeABadLengthInTheSameChunkAreStillDelivered() {
        Buffer good = FrameCodec.encode(1, new Message.Ok());
        Buffer chunk = good.copy().appendInt(3).appendBuffer(FrameCodec.encode(2, new Message.Ok()));

        parser().handle(chunk);

        assertThat(receivedBytes()).containsExactly(good.getBytes());
        assertThat(fatalErrors).singleElement()
                .extracting(ProtocolException::code).isEqualTo(ErrorCode.MALFORMED_FRAME);
    }

    @Test
    void lengthUnderTwelveArrivingByteByByteIsReportedOnceWhenTheFieldIsComplete() {
        Buffer bad = Buffer.buffer().appendInt(11);
        FrameParser parser = parser();

        for (int i = 0; i < 3; i++) {
            parser.handle(bad.slice(i, i + 1));
        }
        assertThat(fatalErrors).isEmpty();

        parser.handle(bad.slice(3, 4));
        assertThat(fatalErrors).singleElement().satisfies(e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
            assertThat(e.requestId()).isZero();
            assertThat(e.fatal()).isTrue();
        });
    }

    @Test
    void lengthOverMaxFrameBytesIsFatalFrameTooLargeWithRequestIdZero() {
        FrameParser parser = parser(1024);

        parser.handle(header(1025, 88));

        assertThat(frames).isEmpty();
        assertThat(fatalErrors).singleElement().satisfies(e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
            assertThat(e.requestId()).as("connection-level, not the frame's requestId").isZero();
            assertThat(e.fatal()).isTrue();
        });
    }

    @Test
    void frameTooLargeIsReportedAsSoonAsTheLengthFieldIsComplete() {
        FrameParser parser = parser(1024);
        Buffer lengthField = Buffer.buffer().appendInt(ONE_MIB);

        parser.handle(lengthField.slice(0, 3));
        assertThat(fatalErrors).as("after 3 bytes of the length field").isEmpty();

        parser.handle(lengthField.slice(3, 4));
        assertThat(fatalErrors).as("after the 4th byte, no body sent")
                .singleElement().extracting(ProtocolException::code).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
    }

    @Test
    void frameTooLargeIsReportedFromALengthFieldAloneInOneChunk() {
        FrameParser parser = parser(1024);

        parser.handle(Buffer.buffer().appendInt(2048));

        assertThat(fatalErrors).singleElement()
                .extracting(ProtocolException::code).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
    }

    @Test
    void frameTooLargeIsReportedForTheLargestU32Length() {
        parser().handle(Buffer.buffer().appendUnsignedInt(0xFFFF_FFFFL));

        assertThat(fatalErrors).singleElement()
                .extracting(ProtocolException::code).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
    }

    @Test
    void inputAfterAFrameTooLargeIsIgnored() {
        FrameParser parser = parser(1024);
        parser.handle(header(4096, 1));

        parser.handle(Buffer.buffer().appendBytes(new byte[4096 - 12]));
        parser.handle(concat(threeFrames()));
        parser.handle(Buffer.buffer().appendInt(1));

        assertThat(frames).isEmpty();
        assertThat(fatalErrors).hasSize(1);
    }

    @Test
    void frameOfExactlyMaxFrameBytesIsAccepted() {
        int max = 1024;
        Buffer wire = FrameCodec.encode(5, new Message.Ping(new byte[max - FrameCodec.MIN_LENGTH]));
        FrameParser parser = parser(max);

        parser.handle(wire);

        assertThat(wire.getInt(0)).isEqualTo(max);
        assertThat(receivedBytes()).containsExactly(wire.getBytes());
        assertThat(fatalErrors).isEmpty();
    }

    @Test
    void frameOfExactlyMaxFrameBytesIsAcceptedWhenSplit() {
        int max = 1024;
        Buffer wire = FrameCodec.encode(5, new Message.Ping(new byte[max - FrameCodec.MIN_LENGTH]));
        FrameParser parser = parser(max);

        parser.handle(wire.slice(0, 2));
        parser.handle(wire.slice(2, 700));
        parser.handle(wire.slice(700, wire.length()));

        assertThat(receivedBytes()).containsExactly(wire.getBytes());
        assertThat(fatalErrors).isEmpty();
    }

    @Test
    void frameOneByteOverMaxFrameBytesIsRejected() {
        int max = 1024;
        Buffer wire = FrameCodec.encode(5, new Message.Ping(new byte[max - FrameCodec.MIN_LENGTH + 1]));

        parser(max).handle(wire);

        assertThat(frames).isEmpty();
        assertThat(fatalErrors).singleElement()
                .extracting(ProtocolException::code).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
    }

    @Test
    void oneMebibyteFrameArrivingInSixtyFourKibibyteChunksComesOutWhole() {
        byte[] payload = new byte[ONE_MIB];
        new Random(7).nextBytes(payload);
        Buffer wire = FrameCodec.encode(11, new Message.Result(payload));
        FrameParser parser = parser();
        int chunk = 64 * 1024;

        for (int pos = 0; pos < wire.length(); pos += chunk) {
            assertThat(frames).as("nothing delivered before byte %d", pos).isEmpty();
            parser.handle(wire.slice(pos, Math.min(pos + chunk, wire.length())));
        }

        assertThat(frames).hasSize(1);
        Frame frame = FrameCodec.decode(frames.get(0));
        assertThat(frame.requestId()).isEqualTo(11);
        assertThat(((Message.Result) frame.message()).output()).isEqualTo(payload);
        assertThat(fatalErrors).isEmpty();
    }

    @Test
    void frameAfterALargeFrameInTheSameChunkIsDelivered() {
        Buffer big = FrameCodec.encode(1, new Message.Result(new byte[ONE_MIB]));
        Buffer small = FrameCodec.encode(2, new Message.Ok());
        Buffer stream = big.copy().appendBuffer(small);
        FrameParser parser = parser();

        parser.handle(stream.slice(0, 100));
        parser.handle(stream.slice(100, stream.length()));

        assertThat(receivedBytes()).containsExactly(big.getBytes(), small.getBytes());
    }

    @Test
    void lengthBeyondWhatAJavaBufferCanHoldIsTooLargeEvenUnderAHigherLimit() {
        // maxFrameBytes is a long and WELCOME announces it as a u32, so 0xFFFFFFFF is a legal limit.
        FrameParser parser = parser(0xFFFF_FFFFL);

        parser.handle(header(0xFFFF_FFFFL, 1).appendBytes(new byte[16]));

        assertThat(frames).as("no frame may be cut out of a 4 GiB length").isEmpty();
        assertThat(fatalErrors).singleElement()
                .extracting(ProtocolException::code).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
    }
}
