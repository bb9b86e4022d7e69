from media.compose.layout import Rect, canvas_size, fit, grid, presenter, speaker


def _inside(rect: Rect, width: int, height: int) -> bool:
    return rect.x >= 0 and rect.y >= 0 and rect.x + rect.w <= width and rect.y + rect.h <= height


def _even(rect: Rect) -> bool:
    return all(v % 2 == 0 for v in (rect.x, rect.y, rect.w, rect.h))


def test_canvas_is_720p_unless_a_screen_is_taller_and_never_above_the_limit() -> None:
    assert canvas_size(0, 1080) == (1280, 720)
    assert canvas_size(720, 1080) == (1280, 720)
    assert canvas_size(1080, 1080) == (1920, 1080)
    assert canvas_size(1440, 720) == (1280, 720)
    assert canvas_size(0, 360) == (640, 360)


def test_fit_keeps_aspect_centres_and_stays_inside() -> None:
    tile = Rect(100, 50, 400, 300)
    assert fit(1280, 720, tile) == Rect(100, 88, 400, 224)
    assert fit(240, 320, tile) == Rect(188, 50, 224, 300)
    small = fit(160, 120, tile)
    assert small.w <= tile.w and small.h <= tile.h and _even(small)


def test_grid_cells_do_not_overlap_and_fill_rows() -> None:
    for count in range(1, 10):
        cells = grid(count, 1280, 720)
        assert len(cells) == count
        assert all(_inside(c, 1280, 720) and _even(c) for c in cells)
        for n, a in enumerate(cells):
            for b in cells[n + 1 :]:
                assert a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y or (
                    b.y + b.h <= a.y)
    assert len({c.w for c in grid(4, 1280, 720)}) == 1


def test_presenter_and_speaker_leave_room_for_the_others() -> None:
    main, column = presenter(3, 1280, 720)
    assert main.w > 1000 and len(column) == 3
    assert all(c.x >= main.x + main.w and _inside(c, 1280, 720) for c in column)
    main, row = speaker(2, 1280, 720)
    assert all(r.y >= main.y + main.h for r in row)
    assert presenter(0, 1280, 720)[0] == Rect(0, 0, 1280, 720)
    many = presenter(12, 1280, 720)[1]
    assert len(many) == 12 and all(_inside(c, 1280, 720) for c in many)
