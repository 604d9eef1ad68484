package io.praas.process.messaging;

import io.praas.client.PraasException;
import io.praas.function.ReduceOp;
import io.praas.protocol.ErrorCode;

import java.nio.ByteBuffer;
import java.util.function.BinaryOperator;

/** The fast path of collectives over primitive arrays: big-endian bytes, reduced element-wise without decoding to objects. */
final class PrimitiveArrays {
    private PrimitiveArrays() {
    }

    static byte[] encode(double[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * Double.BYTES);
        b.asDoubleBuffer().put(values);
        return b.array();
    }

    static byte[] encode(long[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * Long.BYTES);
        b.asLongBuffer().put(values);
        return b.array();
    }

    static double[] decodeDoubles(byte[] bytes) {
        double[] out = new double[bytes.length / Double.BYTES];
        ByteBuffer.wrap(bytes).asDoubleBuffer().get(out);
        return out;
    }

    static long[] decodeLongs(byte[] bytes) {
        long[] out = new long[bytes.length / Long.BYTES];
        ByteBuffer.wrap(bytes).asLongBuffer().get(out);
        return out;
    }

    static BinaryOperator<byte[]> doubles(ReduceOp op) {
        return (a, b) -> {
            sameLength(a, b);
            ByteBuffer x = ByteBuffer.wrap(a);
            ByteBuffer y = ByteBuffer.wrap(b);
            byte[] out = new byte[a.length]; // a new array: a or b may still be on its way to a peer
            ByteBuffer z = ByteBuffer.wrap(out);
            for (int i = 0; i < a.length; i += Double.BYTES) {
                z.putDouble(i, op.apply(x.getDouble(i), y.getDouble(i)));
            }
            return out;
        };
    }

    static BinaryOperator<byte[]> longs(ReduceOp op) {
        return (a, b) -> {
            sameLength(a, b);
            ByteBuffer x = ByteBuffer.wrap(a);
            ByteBuffer y = ByteBuffer.wrap(b);
            byte[] out = new byte[a.length];
            ByteBuffer z = ByteBuffer.wrap(out);
            for (int i = 0; i < a.length; i += Long.BYTES) {
                z.putLong(i, op.apply(x.getLong(i), y.getLong(i)));
            }
            return out;
        };
    }

    private static void sameLength(byte[] a, byte[] b) {
        if (a.length != b.length) {
            throw new PraasException(ErrorCode.INVALID_ARGUMENT, "the members' arrays differ in length: "
                    + a.length / 8 + " and " + b.length / 8 + " elements");
        }
    }
}
