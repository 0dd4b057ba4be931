package dev.pvkit.conformance.observe;

/** virtio-blk request type names (virtio 1.4 §5.2.6), for evidence lines. */
public final class BlkTypes {
    private BlkTypes() {
    }

    public static String name(long type) {
        return switch ((int) type) {
            case 0 -> "IN";
            case 1 -> "OUT";
            case 4 -> "FLUSH";
            case 8 -> "GET_ID";
            case 10 -> "GET_LIFETIME";
            case 11 -> "DISCARD";
            case 13 -> "WRITE_ZEROES";
            case 14 -> "SECURE_ERASE";
            case 15 -> "ZONE_APPEND";
            case 16 -> "ZONE_REPORT";
            case 18 -> "ZONE_OPEN";
            case 20 -> "ZONE_CLOSE";
            case 22 -> "ZONE_FINISH";
            case 24 -> "ZONE_RESET";
            case 26 -> "ZONE_RESET_ALL";
            default -> "unknown";
        };
    }
}
