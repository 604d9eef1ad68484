package io.praas.client;

import io.praas.protocol.Frame;
import io.praas.protocol.FrameCodec;
import io.praas.protocol.Message;
import io.vertx.core.buffer.Buffer;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;

/** The process's side of a connection, played by a test over a plain socket: frames in, WELCOME out. */
final class RawProcessSide {
    private RawProcessSide() {
    }

    /** Reads the client's HELLO from {@code s} and answers it with a WELCOME; returns the stream to read on. */
    static DataInputStream welcome(Socket s) throws IOException {
        return welcome(s, "p-1");
    }

    /** As {@link #welcome(Socket)}, as process {@code processId}. */
    static DataInputStream welcome(Socket s, String processId) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        Frame hello = FrameCodec.decode(Buffer.buffer(readFrame(in)));
        OutputStream out = s.getOutputStream();
        out.write(FrameCodec.encode(hello.requestId(), new Message.Welcome(processId, 64L * 1024 * 1024, "test")).getBytes());
        out.flush();
        return in;
    }

    /** One whole frame, its length field included. */
    static byte[] readFrame(DataInputStream in) throws IOException {
        int length = in.readInt();
        byte[] frame = new byte[FrameCodec.LENGTH_FIELD + length];
        java.nio.ByteBuffer.wrap(frame).putInt(length);
        in.readFully(frame, FrameCodec.LENGTH_FIELD, length);
        return frame;
    }
}
