package io.praas.controlplane.swapapp;

import io.praas.function.Context;
import io.praas.function.Function;
import io.praas.function.Group;
import io.praas.function.ReduceOp;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Input {@code op|member,member,...|timeoutMs|value}: runs one collective over the group and
 * returns what this member got. Ops: {@code barrier}, {@code allreduce-sum} (of {value, 1} as
 * longs), {@code allreduce-doubles} (of {value, value/2}), {@code allreduce-concat} (typed Strings,
 * concatenated in rank order), {@code reduce-max} (Integers, root = last member),
 * {@code broadcast} (root = member 1 mod size), {@code gather} (root = first member),
 * {@code repeat-allreduce} (value times an all-reduce of 1, returns the sums).
 */
public final class Collective implements Function<String, String> {
    @Override
    public String handle(String input, Context ctx) {
        String[] f = input.split("\\|", -1);
        List<String> members = List.of(f[1].split(","));
        Group g = ctx.group(members).withTimeout(Duration.ofMillis(Long.parseLong(f[2])));
        String value = f[3];
        String last = members.get(members.size() - 1);
        return switch (f[0]) {
            case "barrier" -> {
                g.barrier();
                yield "ok";
            }
            case "allreduce-sum" -> Arrays.toString(g.allReduce(new long[] {Long.parseLong(value), 1}, ReduceOp.SUM));
            case "allreduce-doubles" -> {
                double v = Double.parseDouble(value);
                yield Arrays.toString(g.allReduce(new double[] {v, v / 2}, ReduceOp.MAX));
            }
            case "allreduce-concat" -> g.allReduce(value, String.class, String::concat);
            case "reduce-max" -> String.valueOf(g.reduce(last, Integer.parseInt(value), Integer.class, Math::max));
            case "broadcast" -> g.broadcast(members.get(1 % members.size()), "from-" + value, String.class);
            case "gather" -> g.gather(members.get(0), value, String.class).stream().collect(Collectors.joining(","));
            case "repeat-allreduce" -> {
                StringBuilder sums = new StringBuilder();
                for (int i = 0; i < Integer.parseInt(value); i++) {
                    sums.append(g.allReduce(new long[] {1}, ReduceOp.SUM)[0]).append(' ');
                }
                yield sums.toString().strip();
            }
            default -> throw new IllegalArgumentException("unknown op " + f[0]);
        };
    }
}
