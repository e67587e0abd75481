/// @file events.hpp
/// @brief EventEmitter: `on`, `once`, `off`, `emit`, with listener signatures checked
///        when the program is compiled.
///
/// Mirrors Node's `events` module (`lib/events.js`). The rules kept from Node:
/// listeners run synchronously in registration order; `emit` works on a snapshot, so a
/// listener added during an emit is not called by that emit, and one removed during it
/// is still called (Node clones the listener array the same way); a `once` listener is
/// removed before it runs; emitting `error` with no listener is fatal, printed as Node
/// prints an unhandled 'error' event, with exit status 1.
///
/// How the C++ version types its events (the choice the foundation issue asks for): each
/// emitter lists its events as types, `Event<"data", Buffer>`, name plus argument types.
/// `conn.on("data", [](const Buffer& d) { ... })` reads like Node, and the string is
/// checked by a `consteval` constructor against that list *with the listener's
/// parameter types*: a misspelt event name, or a listener whose parameters do not match
/// the event's, does not compile (the error names
/// `no_event_with_this_name_takes_a_listener_of_this_signature`). A listener may take
/// fewer parameters than the event passes, as a JavaScript function may (`close` passes
/// `hadError`; `[] { ... }` is fine). The cost: a listener must have a concrete
/// signature (no `auto` parameters), because its parameter types pick the event.
///
/// What it leaves out: `prependListener`, `setMaxListeners` and the leak warning,
/// `newListener`/`removeListener` events, `Symbol` event names, `captureRejections`.
/// `off` takes the id returned by `on`, because C++ lambdas cannot be compared.
#pragma once

#include "errors.hpp"
#include "trace.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace kit {

/// @brief A string literal usable as a template argument (`Event<"data", ...>`).
template <std::size_t N>
struct FixedString {
    char value[N]{};  ///< The characters, NUL included.
    /// @brief Capture a string literal.
    consteval FixedString(const char (&s)[N]) { std::copy_n(s, N, value); }
    /// @brief The text without its NUL.
    constexpr std::string_view view() const { return {value, N - 1}; }
};

/// @brief Declares one event: its name and the types its listeners receive.
template <FixedString Name, class... Args>
struct Event {
    static constexpr std::string_view name = Name.view();  ///< The event's name.
    using args = std::tuple<Args...>;                      ///< What `emit` passes.
};

/// @brief Internal: the compile-time machinery that checks event names and listener
/// signatures. Nothing here is called by a lesson.
namespace detail {

/// @brief A list of types (a listener's parameter types, or an emit's argument types).
template <class... T>
struct TypeList {};

/// @cond KIT_INTERNAL
// (Hidden from Doxygen, which mistakes the primary template's base class, a
// specialization of itself, for a recursive class relation.)
// The parameter types of a listener (lambda, function object or function pointer),
// with references and const removed: ListenerArgs<F>::type is a TypeList.
template <class F>
struct ListenerArgs : ListenerArgs<decltype(&std::remove_cvref_t<F>::operator())> {};
template <class R, class... A>
struct ListenerArgs<R (*)(A...)> { using type = TypeList<std::remove_cvref_t<A>...>; };
template <class C, class R, class... A>
struct ListenerArgs<R (C::*)(A...)> { using type = TypeList<std::remove_cvref_t<A>...>; };
template <class C, class R, class... A>
struct ListenerArgs<R (C::*)(A...) const> { using type = TypeList<std::remove_cvref_t<A>...>; };
template <class C, class R, class... A>
struct ListenerArgs<R (C::*)(A...) noexcept> { using type = TypeList<std::remove_cvref_t<A>...>; };
template <class C, class R, class... A>
struct ListenerArgs<R (C::*)(A...) const noexcept> { using type = TypeList<std::remove_cvref_t<A>...>; };
/// @endcond

/// @brief Whether the listener's parameter list is a prefix of the event's argument
/// list (a listener may take fewer parameters than the event passes).
/// @tparam Listener a TypeList of the listener's parameter types
/// @tparam EventArgs the event's `std::tuple` of argument types
template <class Listener, class EventArgs>
struct IsPrefix : std::false_type {};
template <class... E>
struct IsPrefix<TypeList<>, std::tuple<E...>> : std::true_type {};
template <class L0, class... L, class E0, class... E>
struct IsPrefix<TypeList<L0, L...>, std::tuple<E0, E...>>
    : std::bool_constant<std::is_same_v<L0, E0> && IsPrefix<TypeList<L...>, std::tuple<E...>>::value> {};

/// @brief Whether the emit's argument list equals the event's exactly.
/// @tparam Emitted a TypeList of the types passed to `emit`
/// @tparam EventArgs the event's `std::tuple` of argument types
template <class Emitted, class EventArgs>
struct IsExact : std::false_type {};
template <class... A>
struct IsExact<TypeList<A...>, std::tuple<A...>> : std::true_type {};

/// @brief Deliberately not constexpr: reaching it in a consteval context is the compile
/// error a student sees for a wrong event name or listener signature.
inline std::size_t no_event_with_this_name_takes_a_listener_of_this_signature() { return 0; }

/// @brief Whether the NUL-terminated @p a and @p b hold the same characters
/// (usable in a consteval function, unlike `std::strcmp`).
constexpr bool sameText(const char* a, std::string_view b) {
    std::size_t i = 0;
    for (; a[i] != '\0'; ++i)
        if (i >= b.size() || a[i] != b[i]) return false;
    return i == b.size();
}

/// @brief The index in @p Events of the first event named @p name whose argument types
/// match @p Args under @p Match; no such event is a compile error.
/// @tparam Match IsPrefix (for `on`/`once`) or IsExact (for `emit`)
/// @tparam Args a TypeList of the listener's parameter or the emit's argument types
/// @tparam Events the emitter's `Event<...>` types
template <template <class, class> class Match, class Args, class... Events>
consteval std::size_t findEvent(const char* name) {
    std::size_t index = 0, found = sizeof...(Events);
    ((found == sizeof...(Events) && sameText(name, Events::name) &&
              Match<Args, typename Events::args>::value
          ? (found = index, ++index)
          : ++index),
     ...);
    if (found == sizeof...(Events)) return no_event_with_this_name_takes_a_listener_of_this_signature();
    return found;
}

/// @brief An event name checked at compile time: converts from a string literal only if
/// one of the emitter's events has that name and matches @p Args under @p Match.
/// @tparam Match IsPrefix (for `on`/`once`) or IsExact (for `emit`)
/// @tparam Args a TypeList of the listener's parameter or the emit's argument types
/// @tparam Events the emitter's `Event<...>` types
template <template <class, class> class Match, class Args, class... Events>
struct EventKey {
    std::size_t index;  ///< Position of the chosen event in @p Events.
    /// @brief The conversion from `"data"`: findEvent() picks the event or fails to compile.
    // NOLINTNEXTLINE(google-explicit-constructor): the implicit conversion is the point.
    consteval EventKey(const char* name) : index(findEvent<Match, Args, Events...>(name)) {}
};

/// @brief `std::tuple<A...>` becomes `std::tuple<const A&...>`: how `emit` passes the
/// arguments to every listener without copying them.
template <class Tuple>
struct PackedOf;
/// @brief The specialization that does the work.
template <class... A>
struct PackedOf<std::tuple<A...>> { using type = std::tuple<const A&...>; /**< The tuple of const refs. */ };

/// @brief The number of types in a TypeList (how many arguments a listener takes).
template <class List>
struct Arity;
/// @brief The specialization that counts.
template <class... L>
struct Arity<TypeList<L...>> : std::integral_constant<std::size_t, sizeof...(L)> {};

} // namespace detail

/// @brief Identifies one listener, for `off()`.
using ListenerId = std::uint64_t;

/// @brief Print Node's "Unhandled 'error' event" report for @p err on stderr and exit 1.
/// @param err the error that nobody listened to
/// @param owner the emitter's class name, as in "Emitted 'error' event on Socket instance".
[[noreturn]] void unhandledErrorEvent(const Error& err, std::string_view owner);

/// @brief Trace an emit (KIT_TRACE, see trace.hpp): a line on stderr, or an `emit`
/// record with @p detail (a short note on the arguments: "65536 bytes", "socket#3").
void traceEmit(std::string_view owner, std::uint64_t id, std::string_view event,
               std::size_t listeners, std::string_view detail = {});

namespace detail {
/// @brief The `detail` of a traced emit: sizes of buffers and strings, an error's code,
/// the handle a pointer names, a number or a flag; empty for anything else.
inline std::string traceDetail() { return {}; }
/// @brief See above: the detail of an emit with arguments.
template <class A0, class... A>
std::string traceDetail(const A0& a0, const A&... args) {
    std::string out;
    auto one = [&out](const auto& a) {
        using T = std::remove_cvref_t<decltype(a)>;
        std::string part;
        if constexpr (std::is_same_v<T, bool>) part = a ? "true" : "false";
        else if constexpr (std::is_integral_v<T>) part = std::to_string(a);
        else if constexpr (std::is_same_v<T, Error>) part = a.code.empty() ? a.message : a.code;
        else if constexpr (requires { a.size(); }) part = std::to_string(a.size()) + " bytes";
        else if constexpr (requires { a->kind(); a->handleId(); })
            part = a ? std::string(a->kind()) + "#" + std::to_string(a->handleId()) : "null";
        if (part.empty()) return;
        if (!out.empty()) out += ", ";
        out += part;
    };
    one(a0);
    (one(args), ...);
    return out;
}
} // namespace detail

/// @brief Whether KIT_TRACE=1 was set when the program started.
bool traceEnabled();

/// @brief Node's EventEmitter, over a fixed list of typed events.
/// @tparam Events `Event<"name", Args...>` types, one per event (a name may appear twice
///         with different argument types, as Socket's `data` does for Buffer and text).
template <class... Events>
class EventEmitter {
    template <class Args>
    using ListenerKey = detail::EventKey<detail::IsPrefix, Args, Events...>;
    template <class Args>
    using EmitKey = detail::EventKey<detail::IsExact, Args, Events...>;

public:
    /// @brief Name and id shown in traces and in the unhandled-error report.
    explicit EventEmitter(std::string_view className = "EventEmitter", std::uint64_t id = 0)
        : className_(className), id_(id) {}

    /// @brief Add @p listener at the end of the event's list (Node's `on`).
    /// @return an id for `off()`.
    template <class F>
    ListenerId on(ListenerKey<typename detail::ListenerArgs<F>::type> event, F&& listener) {
        return add(event.index, std::forward<F>(listener), false);
    }

    /// @brief Add a listener that is removed before its first call (Node's `once`).
    template <class F>
    ListenerId once(ListenerKey<typename detail::ListenerArgs<F>::type> event, F&& listener) {
        return add(event.index, std::forward<F>(listener), true);
    }

    /// @brief Remove the listener with id @p id (Node's `off`/`removeListener`).
    /// @return whether it was found.
    bool off(ListenerId id) {
        for (auto& list : listeners_) {
            auto it = std::find_if(list.begin(), list.end(), [id](const auto& l) { return l->id == id; });
            if (it != list.end()) {
                list.erase(it);
                return true;
            }
        }
        return false;
    }

    /// @brief Remove every listener of every event (Node's `removeAllListeners()`).
    void removeAllListeners() {
        for (auto& list : listeners_) list.clear();
    }

    /// @brief How many listeners the event named @p name has (all argument variants).
    std::size_t listenerCount(std::string_view name) const {
        std::size_t n = 0, i = 0;
        ((Events::name == name ? n += listeners_[i++].size() : i++), ...);
        return n;
    }

    /// @brief How many listeners one variant of an event has: `listenerCountOf<std::string>("data")`.
    template <class... A>
    std::size_t listenerCountOf(EmitKey<detail::TypeList<std::type_identity_t<A>...>> event) const {
        return listeners_[event.index].size();
    }

    /// @brief Call the event's listeners with @p args, in order (Node's `emit`).
    /// @return true if it had listeners. An `error` with none is fatal, as in Node.
    template <class... A>
    bool emit(EmitKey<detail::TypeList<std::remove_cvref_t<A>...>> event, const A&... args) {
        auto& list = listeners_[event.index];
        if (tracing::on) [[unlikely]]
            traceEmit(className_, id_, names_[event.index], list.size(), detail::traceDetail(args...));
        if (list.empty()) {
            if constexpr (sizeof...(A) == 1 && (std::is_same_v<std::remove_cvref_t<A>, Error> && ...)) {
                if (names_[event.index] == "error") unhandledErrorEvent(args..., className_);
            }
            return false;
        }
        const std::tuple<const A&...> packed(args...);
        if (list.size() == 1) {  // the common case: no snapshot copy needed
            auto only = list.front();
            if (only->once) {
                only->fired = true;
                list.clear();
            }
            only->call(&packed);
            return true;
        }
        const auto snapshot = list;  // Node: arrayClone(handler)
        for (const auto& l : snapshot) {
            if (l->once) {
                // Node's onceWrapper skips only a listener that already fired (in an emit
                // that re-entered this one); one merely removed with off() during this
                // emit still runs, like any listener removed mid-emit.
                if (l->fired) continue;
                l->fired = true;
                erase(list, l.get());
            }
            l->call(&packed);
        }
        return true;
    }

    /// @brief The id shown in traces (`socket#3`).
    std::uint64_t traceId() const { return id_; }
    /// @brief The class name shown in traces and error reports.
    std::string_view className() const { return className_; }

protected:
    /// @brief Set the id shown in traces (handles number themselves after construction).
    void setTraceId(std::uint64_t id) { id_ = id; }
    /// @brief Call @p hook with the event's name after each `on`/`once`: what Node's
    /// Readable does by overriding `on` (a `data` listener starts the flow).
    void onListenerAdded(std::function<void(std::string_view)> hook) { listenerAdded_ = std::move(hook); }

private:
    struct Listener {
        ListenerId id;
        bool once;
        bool fired = false;  // a once listener that has run (Node's onceWrapper state.fired)
        std::function<void(const void*)> call;  // receives a std::tuple<const Args&...>*
    };

    static bool erase(std::vector<std::shared_ptr<Listener>>& list, const Listener* l) {
        auto it = std::find_if(list.begin(), list.end(), [l](const auto& p) { return p.get() == l; });
        if (it == list.end()) return false;
        list.erase(it);
        return true;
    }

    // Call f with the first sizeof...(L) elements of the event's argument tuple.
    template <class Tuple, class F, std::size_t... I>
    static void callPrefix(F& f, const Tuple& t, std::index_sequence<I...>) {
        f(std::get<I>(t)...);
    }

    template <std::size_t Index, class F>
    ListenerId addAt(F&& fn, bool once) {
        using EventT = std::tuple_element_t<Index, std::tuple<Events...>>;
        using Args = typename detail::ListenerArgs<F>::type;
        if constexpr (!detail::IsPrefix<Args, typename EventT::args>::value) {
            return 0;  // never reached: the key already chose a matching event
        } else {
            using Packed = typename detail::PackedOf<typename EventT::args>::type;
            auto l = std::make_shared<Listener>();
            l->id = ++lastId_;
            l->once = once;
            l->call = [f = std::forward<F>(fn)](const void* p) mutable {
                callPrefix(f, *static_cast<const Packed*>(p),
                           std::make_index_sequence<detail::Arity<Args>::value>{});
            };
            listeners_[Index].push_back(std::move(l));
            return lastId_;
        }
    }

    template <class F, std::size_t... I>
    ListenerId dispatchAdd(std::size_t index, F&& fn, bool once, std::index_sequence<I...>) {
        ListenerId id = 0;
        ((index == I ? (id = addAt<I>(std::forward<F>(fn), once), 0) : 0), ...);
        return id;
    }

    template <class F>
    ListenerId add(std::size_t index, F&& fn, bool once) {
        const ListenerId id = dispatchAdd(index, std::forward<F>(fn), once, std::index_sequence_for<Events...>{});
        if (listenerAdded_) listenerAdded_(names_[index]);
        return id;
    }

    static constexpr std::array<std::string_view, sizeof...(Events)> names_{Events::name...};
    std::array<std::vector<std::shared_ptr<Listener>>, sizeof...(Events)> listeners_;
    std::string_view className_;
    std::uint64_t id_;
    ListenerId lastId_ = 0;
    std::function<void(std::string_view)> listenerAdded_;  // see onListenerAdded
};

} // namespace kit
