package io.praas.process.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * The operators' log of processes and control planes, configured in code rather than from XML
 * (parsing logback.xml cost a process about 0.3 s of its start): one line per event on stderr,
 * with the process and session ids of the MDC; level INFO, or PRAAS_LOG_LEVEL. A
 * {@code -Dlogback.configurationFile=...} still wins.
 */
public final class OperatorLogging extends ContextAwareBase implements Configurator {

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%d{HH:mm:ss.SSS} %-5level [%thread] %logger{20} %X{process} %X{session} - %msg%n");
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(level(System.getenv()));
        root.addAppender(stderr);
        context.getLogger("io.netty").setLevel(Level.WARN);
        context.getLogger("io.vertx").setLevel(Level.WARN);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    private static Level level(java.util.Map<String, String> env) {
        return Level.toLevel(env.getOrDefault("PRAAS_LOG_LEVEL", "INFO"), Level.INFO);
    }

    /** Sets the root level from {@code env}'s PRAAS_LOG_LEVEL (a standby's process gets its settings late). */
    public static void applyLevel(java.util.Map<String, String> env) {
        root().ifPresent(r -> r.setLevel(level(env)));
    }

    /** The root level before {@link #quiet}{@code (true)}. */
    private static volatile Level beforeQuiet;

    /** Only warnings and errors while {@code quiet} (a standby's warm-up), then the level before again. */
    public static synchronized void quiet(boolean quiet) {
        root().ifPresent(r -> {
            if (quiet) {
                beforeQuiet = r.getLevel();
                r.setLevel(Level.WARN);
            } else if (beforeQuiet != null) {
                r.setLevel(beforeQuiet);
                beforeQuiet = null;
            }
        });
    }

    /** The root logger when logback runs this configuration (not a -Dlogback.configurationFile's). */
    private static java.util.Optional<Logger> root() {
        if (System.getProperty("logback.configurationFile") != null
                || !(org.slf4j.LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(context.getLogger(Logger.ROOT_LOGGER_NAME));
    }
}
