package io.praas.function;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The name under which a {@link Function} is invoked, when it should not be the class's name.
 *
 * <pre>{@code
 * @FunctionName("word-count")
 * public final class WordCount implements Function<String, Map<String, Long>> { ... }
 * }</pre>
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface FunctionName {
    String value();
}
