package io.praas.process.storage;

import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.util.function.Predicate;

/** Operations on the keys under a prefix, page by page, for the processes and the control plane. */
public final class ObjectKeys {
    private ObjectKeys() {
    }

    /** Deletes the objects under {@code prefix} whose key {@code keep} rejects; returns how many. */
    public static int deleteUnder(S3Client s3, String bucket, String prefix, Predicate<String> keep) {
        int deleted = 0;
        String token = null;
        ListObjectsV2Response page;
        do {
            String t = token;
            page = s3.listObjectsV2(b -> b.bucket(bucket).prefix(prefix).continuationToken(t));
            for (S3Object o : page.contents()) {
                if (!keep.test(o.key())) {
                    s3.deleteObject(b -> b.bucket(bucket).key(o.key()));
                    deleted++;
                }
            }
            token = page.nextContinuationToken();
        } while (Boolean.TRUE.equals(page.isTruncated()));
        return deleted;
    }

    /**
     * Aborts the unfinished multipart uploads under {@code prefix} whose key {@code keep} rejects
     * (their parts take storage but are no object a listing shows); returns how many.
     */
    public static int abortUploadsUnder(S3Client s3, String bucket, String prefix, Predicate<String> keep) {
        int aborted = 0;
        RuntimeException failed = null;
        for (MultipartUpload u : s3.listMultipartUploadsPaginator(b -> b.bucket(bucket).prefix(prefix)).uploads()) {
            if (!keep.test(u.key())) {
                try {
                    s3.abortMultipartUpload(b -> b.bucket(bucket).key(u.key()).uploadId(u.uploadId()));
                    aborted++;
                } catch (NoSuchUploadException gone) {
                    // another cleanup aborted it meanwhile
                } catch (RuntimeException e) {
                    failed = failed == null ? e : failed; // the others still go
                }
            }
        }
        if (failed != null) {
            throw failed;
        }
        return aborted;
    }
}
