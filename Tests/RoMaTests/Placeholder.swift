// Placeholder so the target builds before its issue lands; replace with real tests.
import Testing
