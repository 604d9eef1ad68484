package io.praas.process.function;

import io.praas.codec.Codec;
import io.praas.function.Function;

/** A loaded function with its payload codecs. */
@SuppressWarnings("rawtypes")
public record RegisteredFunction(String name, Function function, Codec inputCodec, Codec outputCodec) {
}
